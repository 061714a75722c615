/** recommend as data: the Recommendation object (engine.ts documents every field). */
import type { Exporter } from '../exporter.js';
import type { Recommendation } from './engine.js';

export const recommendJson: Exporter<Recommendation> = {
  format: 'json',
  summary: 'the whole recommendation as JSON',
  async serialize(r) {
    return [{ path: 'recommend.json', data: JSON.stringify(r, null, 2) + '\n' }];
  },
};
