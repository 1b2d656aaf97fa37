// pinsync's version, read from package.json beside dist/ (the one place it is written).
import fs from 'node:fs';

export const version = (JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
