// The credentials file sealed with PINSYNC_STORE_KEY: AES-256-GCM from node:crypto, the key derived
// from the secret with scrypt (RFC 7914; N=2^15, r=8, p=1: about 32 MiB and 0.1 s once per process)
// and a random per-file salt. The header (format, version, KDF and its parameters, cipher) is GCM's
// additional data, so it cannot be altered without the tag failing. A wrong key is told apart from a
// damaged file only by that tag: either way nothing is overwritten.
import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt } from 'node:crypto';

export const SEALED_FORMAT = 'pinsync-sealed-credentials';
const SEALED_VERSION = 1;

interface KdfParameters {
  name: 'scrypt';
  N: number;
  r: number;
  p: number;
  /** base64 */
  salt: string;
}

/** What credentials.json holds when sealed (version 1). */
export interface SealedFile {
  format: typeof SEALED_FORMAT;
  version: typeof SEALED_VERSION;
  cipher: 'aes-256-gcm';
  kdf: KdfParameters;
  /** base64: 12 bytes, new for every write. */
  iv: string;
  /** base64: the 16-byte GCM tag. */
  tag: string;
  /** base64: the sealed JSON. */
  data: string;
}

const SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;
/** GCM's full tag and its standard IV (NIST SP 800-38D): a shorter tag would still match its first bytes. */
const TAG_BYTES = 16;
const IV_BYTES = 12;
/** scrypt needs 128·N·r bytes; Node's default cap (32 MiB) is exactly that, so leave room. */
const SCRYPT_MAXMEM = 64 * 1024 * 1024;

/** Whether a parsed credentials file is sealed (of any version: a newer one is refused by `unseal`). */
export function isSealed(value: unknown): value is SealedFile {
  return typeof value === 'object' && value !== null && (value as { format?: unknown }).format === SEALED_FORMAT;
}

/** The salt a sealed file was made with, so a rewrite derives the same key (scrypt once per process). */
export function saltOf(file: SealedFile): Buffer {
  return Buffer.from(file.kdf.salt, 'base64');
}

export async function seal(plain: string, secret: string, salt: Buffer = randomBytes(16)): Promise<SealedFile> {
  const kdf: KdfParameters = { name: 'scrypt', ...SCRYPT, salt: salt.toString('base64') };
  const header = { format: SEALED_FORMAT, version: SEALED_VERSION, cipher: 'aes-256-gcm', kdf } as const;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await keyFor(secret, kdf), iv);
  cipher.setAAD(additionalData(header));
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return { ...header, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

export type Unsealed = { ok: true; plain: string } | { ok: false; why: 'wrong_key' | 'unknown_version' };

export async function unseal(file: SealedFile, secret: string): Promise<Unsealed> {
  if (!knownParameters(file)) return { ok: false, why: 'unknown_version' };
  const header = { format: file.format, version: file.version, cipher: file.cipher, kdf: file.kdf };
  try {
    const decipher = createDecipheriv('aes-256-gcm', await keyFor(secret, file.kdf), Buffer.from(file.iv, 'base64'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(additionalData(header));
    decipher.setAuthTag(Buffer.from(file.tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(file.data, 'base64')), decipher.final()]);
    return { ok: true, plain: plain.toString('utf8') };
  } catch {
    return { ok: false, why: 'wrong_key' };
  }
}

/** Version 1 with parameters this code would write (a forged N of 2^30 must not cost a gigabyte, a cut tag is refused). */
function knownParameters(file: SealedFile): boolean {
  const kdf = file.kdf as Partial<KdfParameters> | undefined;
  return (
    file.version === SEALED_VERSION &&
    file.cipher === 'aes-256-gcm' &&
    kdf?.name === 'scrypt' &&
    kdf.N === SCRYPT.N &&
    kdf.r === SCRYPT.r &&
    kdf.p === SCRYPT.p &&
    typeof kdf.salt === 'string' &&
    [file.iv, file.tag, file.data].every((field) => typeof field === 'string') &&
    Buffer.from(file.iv, 'base64').length === IV_BYTES &&
    Buffer.from(file.tag, 'base64').length === TAG_BYTES
  );
}

function additionalData(header: Pick<SealedFile, 'format' | 'version' | 'cipher' | 'kdf'>): Buffer {
  const { kdf } = header;
  return Buffer.from(JSON.stringify([header.format, header.version, header.cipher, kdf.name, kdf.N, kdf.r, kdf.p, kdf.salt]));
}

/** Derived keys of this process, by salt and a digest of the secret: a run reads and rewrites with one derivation. */
const derived = new Map<string, Promise<Buffer>>();
const DERIVED_KEPT = 8;

function keyFor(secret: string, kdf: KdfParameters): Promise<Buffer> {
  const id = `${kdf.salt}\u0000${kdf.N}/${kdf.r}/${kdf.p}\u0000${createHash('sha256').update(secret).digest('hex')}`;
  let key = derived.get(id);
  if (!key) {
    key = new Promise<Buffer>((resolve, reject) =>
      scrypt(secret, Buffer.from(kdf.salt, 'base64'), 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: SCRYPT_MAXMEM }, (error, out) =>
        error ? reject(error) : resolve(out),
      ),
    );
    key.catch(() => derived.delete(id));
    if (derived.size >= DERIVED_KEPT) derived.delete(derived.keys().next().value!);
    derived.set(id, key);
  }
  return key;
}
