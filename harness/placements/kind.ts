/**
 * The `kind` placement: the same probe, in a container image, in real pods on a local
 * kind cluster. A same-pod pair is one pod with a server and a client container; a
 * cross-pod pair is two pods and a headless Service. The manifests come from
 * `harness/k8s/render.ts`, every cluster action from the command plans in `kind/commands.ts`
 * (pure lists, run by `kind/exec.ts`), and the results from the client container's log.
 *
 * Lifecycle: check (Docker engine, kind, kubectl; fast, creates nothing) -> create the
 * cluster if it does not exist -> build the image and `kind load` it -> one namespace per
 * run -> each pair: apply, wait, logs, delete -> delete the namespace (also on Ctrl-C).
 * The cluster stays up for the next run unless --teardown.
 */
import { imagePlacement } from './image-placement.js';
import { checkPrerequisites } from './kind/prereq.js';
import { kindSettings, type KindSettings } from './kind/settings.js';

export const kindPlacement = imagePlacement<KindSettings>({
  id: 'kind',
  settings: (env, options) => kindSettings(env, options?.teardown ?? false),
  prerequisites: checkPrerequisites,
  async open(options, settings) {
    // Loaded only when a kind run starts: the renderer and command plans are not needed to
    // check prerequisites, and every other podipc command starts faster without them.
    const { openKindSession } = await import('./kind/session.js');
    return openKindSession(options, settings);
  },
});
