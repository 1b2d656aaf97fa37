// What a run reads of each row, checked once for push, sync and doctor before anything is opened: the
// identifier columns (named or found by alias), the row format (`records`, or records_v2 rows) and the
// country of phone numbers written without +.
import { UsageError } from '../errors.js';
import type { ColumnFlags } from '../input/columns.js';
import { isPhoneCountry, type NormaliseOptions } from '../identify/normalise.js';
import type { InputOptions } from './options.js';

export type Reading = Omit<ColumnFlags, 'audienceColumn'> & NormaliseOptions;

export function readingOf(options: InputOptions): Reading {
  const { emailColumn, maidColumn, idfaColumn, phoneColumn, rows } = options;
  if (rows !== undefined && rows !== 'v1' && rows !== 'v2') throw new UsageError(`--rows takes v1 or v2, not "${String(rows)}".`);
  return { emailColumn, maidColumn, idfaColumn, phoneColumn, rows, phoneCountry: phoneCountryOf(options.phoneCountry) };
}

/** --phone-country: a two-letter country code libphonenumber knows, in capitals. */
function phoneCountryOf(given: string | undefined): string | undefined {
  if (given === undefined) return undefined;
  const code = given.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(code) || !isPhoneCountry(code)) {
    throw new UsageError(`--phone-country takes a two-letter country code such as US, GB or DE, not "${given}".`);
  }
  return code;
}
