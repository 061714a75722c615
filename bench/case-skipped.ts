/**
 * Thrown by a mechanism (either side) when the case cannot run on this pod: e.g. no tmpfs
 * volume, or a kernel limit the mechanism cannot chunk around. The case becomes `skipped`
 * with the message as its reason, which should name the limit.
 */
export class CaseSkipped extends Error {
  override name = 'CaseSkipped';
}
