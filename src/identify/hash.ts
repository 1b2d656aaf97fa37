// SHA-256 of a normalised identifier as lowercase hex: the one-shot crypto.hash when Node has it
// (about twice as fast per call), else createHash.
import crypto from 'node:crypto';

type OneShotHash = (algorithm: string, data: string, encoding: 'hex') => string;
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;

export const sha256Hex: (value: string) => string = oneShot
  ? (value) => oneShot('sha256', value, 'hex')
  : (value) => crypto.createHash('sha256').update(value).digest('hex');
