/** Where the checkout is: this file is dist/harness/paths.js, two levels below the package root. */
import { resolve } from 'node:path';

export const PACKAGE_ROOT = resolve(import.meta.dirname, '..', '..');
