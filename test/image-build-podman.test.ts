/**
 * `podipc image build` with podman, for real and without a registry: the offline bases
 * (Debian from the mirror, Node 24 from npm), then k8s/Dockerfile with --network none.
 * The image is checked from the inside; a second build of the same tree is skipped; and
 * afterwards podman holds exactly the images it held before.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildImage, DEFAULT_REQUEST, prepareEngine, type ImageBuildResult } from '../harness/image/build.js';
import { findOnPath } from '../harness/placements/kind/prereq.js';
import { assertProbeImage, engineRun, imageIds } from './helpers/image.js';

const missing = ['podman', 'mmdebstrap'].filter((t) => !findOnPath(t));
const skip =
  process.getuid?.() !== 0
    ? 'needs root (rootful podman, mmdebstrap)'
    : missing.length > 0
      ? `needs ${missing.join(' and ')} (scripts/setup.sh installs them)`
      : false;

const work = mkdtempSync(join(tmpdir(), 'podipc-image-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('podipc image build (podman, offline bases): a non-root Node 24 probe image with the native products, labelled, leaving nothing else', { skip, timeout: 30 * 60_000 }, async () => {
  const log: string[] = [];
  const engine = await prepareEngine('podman', work, { log: (l) => log.push(l) });
  const before = imageIds(engine);
  const tag = `localhost/podipc-probe-test:${randomBytes(4).toString('hex')}`;
  let first: ImageBuildResult | undefined;
  try {
    first = await buildImage({ ...DEFAULT_REQUEST, engine: 'podman', tag }, { log: (l) => log.push(l) });
    assert.ok(first.built, 'built');
    assert.equal(first.user, '1000:1000');
    assert.ok(log.some((l) => /build the probe image .* --network none/.test(l)), `the build ran without a network:\n${log.join('\n')}`);
    assertProbeImage(engine, tag);

    const again = await buildImage({ ...DEFAULT_REQUEST, engine: 'podman', tag }, { log: (l) => log.push(l) });
    assert.equal(again.built, false, 'the same tree is not rebuilt');
    assert.equal(again.imageId, first.imageId);
    assert.deepEqual(again.madeBases, [], 'the bases are reused');
  } finally {
    const made = [tag, ...(first?.madeBases ?? [])];
    try {
      engineRun(engine, ['rmi', ...made]);
    } catch {
      /* asserted below */
    }
  }
  assert.deepEqual(imageIds(engine), before, `podman holds the images it held before (removed ${[tag, ...(first?.madeBases ?? [])].join(', ')})`);
});
