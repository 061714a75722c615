/** compare as data: the Comparison object (engine.ts documents every field). */
import type { Exporter } from '../exporter.js';
import type { Comparison } from './engine.js';

export const compareJson: Exporter<Comparison> = {
  format: 'json',
  summary: 'the comparison as JSON (conclusion and differences first)',
  async serialize(c) {
    return [{ path: 'compare.json', data: JSON.stringify(c, null, 2) + '\n' }];
  },
};
