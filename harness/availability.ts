/** Can something run here? When not, the reason names the fix. */
export type Availability = { ok: true } | { ok: false; reason: string };

/**
 * Something the run needs is missing or refused (a placement, a tool, what a cluster
 * allows): the CLI prints the message, which names the fix, and exits 2. Nothing was created.
 */
export class PrerequisiteError extends Error {
  override name = 'PrerequisiteError';
}
