import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SPEC_VERSION, type VectorFile } from './vector-file.js';

const VECTORS_DIR = fileURLToPath(new URL('../vectors/', import.meta.url));

function majorOf(version: string): string {
  return version.split('.')[0] ?? '';
}

/** Reads every `NN-*.json` vector file, in number order, checking its format version. */
export function loadVectorFiles(directory: string = VECTORS_DIR): VectorFile[] {
  const names = readdirSync(directory)
    .filter((name) => /^\d{2}-[\w-]+\.json$/.test(name))
    .sort();
  return names.map((fileName) => {
    const file = JSON.parse(readFileSync(`${directory}/${fileName}`, 'utf8')) as VectorFile;
    const expectedName = fileName.replace(/\.json$/, '');
    if (file.name !== expectedName) {
      throw new Error(`${fileName}: "name" is "${file.name}", expected "${expectedName}"`);
    }
    if (majorOf(file.specVersion) !== majorOf(SPEC_VERSION)) {
      throw new Error(`${fileName}: specVersion ${file.specVersion} is not compatible with ${SPEC_VERSION}`);
    }
    return file;
  });
}
