// The ad account a command works on, checked without asking anybody: --ad-account > the profile default.
// (Audiences are looked up by src/audiences/directory.ts.)
import { UsageError } from '../errors.js';

export function validAdAccountId(value: string): string {
  if (!/^\d{1,18}$/.test(value)) {
    throw new UsageError(`--ad-account takes a numeric ad account id, not "${value}". Run \`pinsync accounts list\` to see yours.`);
  }
  return value;
}

/** --ad-account (checked) > the profile's default (`accounts use`); undefined when neither is set. */
export function knownAdAccount(flag: string | undefined, profileDefault: string | undefined): string | undefined {
  const given = flag?.trim();
  return given ? validAdAccountId(given) : profileDefault;
}
