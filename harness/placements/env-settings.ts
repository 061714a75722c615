/**
 * Parsers for the environment variables image placements share the shape of
 * (PODIPC_<PLACEMENT>_IMAGE, PODIPC_<PLACEMENT>_DEV_SHM_MIB): each appends its error, which
 * names the variable and an example, to `errors`, so a placement reports every bad value at once.
 */
import { DEFAULT_IMAGE } from '../k8s/names.js';

/** A local image name with a tag: `imagePullPolicy: Never` with an implicit :latest is easy to get wrong. */
const IMAGE_WITH_TAG = /^[a-z0-9]+(?:[._/-][a-z0-9]+)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** `name`'s image (default podipc-probe:local), which must carry a tag. */
export function imageWithTag(env: NodeJS.ProcessEnv, name: string, errors: string[]): string {
  const image = env[name] || DEFAULT_IMAGE;
  if (!IMAGE_WITH_TAG.test(image)) errors.push(`${name}='${image}' is not an image name with a tag, e.g. podipc-probe:local`);
  return image;
}

/** `name` as a size in MiB (1 to 65536) in bytes; undefined when unset. */
export function mibBytes(env: NodeJS.ProcessEnv, name: string, errors: string[]): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const mib = Number(value);
  if (!Number.isInteger(mib) || mib < 1 || mib > 65536) {
    errors.push(`${name}='${value}' is not a size in MiB between 1 and 65536, e.g. ${name}=256`);
    return undefined;
  }
  return mib * 1_048_576;
}
