import { isMachineId } from '../../shared/machine-id.ts';
import { isRegionCode } from '../../shared/region.ts';

export interface VmEntry {
  id: string;
  region: string;
}

export interface VmsParse {
  vms: VmEntry[];
  /** Entries that were not `<14-hex id> <region>`; skipped, counted for the log. */
  invalid: string[];
}

/**
 * Parses the answer to TXT `vms.<app>.internal`: `"<id> <region>,<id> <region>"`. Node gives each record
 * as an array of character-strings (a long record arrives split, at any byte): join each record's
 * strings first, then split entries on `,`. Several records are accepted too. Duplicates keep the first.
 */
export function parseVmsTxt(records: readonly (readonly string[])[]): VmsParse {
  const vms: VmEntry[] = [];
  const invalid: string[] = [];
  const seen = new Set<string>();
  for (const record of records) {
    const joined = record.join('');
    for (const raw of joined.split(',')) {
      const entry = raw.trim();
      if (entry === '') continue;
      const parts = entry.split(/\s+/);
      const [id, region] = parts;
      if (parts.length !== 2 || !isMachineId(id) || !isRegionCode(region)) {
        invalid.push(entry);
        continue;
      }
      if (seen.has(id)) continue;
      seen.add(id);
      vms.push({ id, region });
    }
  }
  return { vms, invalid };
}
