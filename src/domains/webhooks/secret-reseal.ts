/**
 * Re-seals webhook secrets with the current FARO_SECRET_KEY after a key rotation, so the previous
 * key can be dropped from FARO_SECRET_KEY_PREVIOUS. Safe to run while the service runs, and to
 * run again: values already sealed with the current key are left as they are.
 */
import type { Executor } from '../../db/types.ts';
import type { SecretBox } from './secret-box.ts';
import { listSealedSecrets, replaceSealedSecrets } from './subscriptions-repository.ts';

const PAGE = 500;

export interface ResealReport {
  /** Subscriptions looked at (deleted ones included: their rows keep their sealed secrets). */
  checked: number;
  resealed: number;
  /** Changed by a secret rotation while this ran: already sealed with the current key. */
  changedMeanwhile: number;
  /** Ids whose secrets open with none of the configured keys; the key that sealed them is missing. */
  unreadable: string[];
}

export async function resealWebhookSecrets(db: Executor, box: SecretBox): Promise<ResealReport> {
  const report: ResealReport = { checked: 0, resealed: 0, changedMeanwhile: 0, unreadable: [] };
  let afterId = '';
  for (;;) {
    const page = await listSealedSecrets(db, afterId, PAGE);
    for (const row of page) {
      report.checked += 1;
      const stale = [row.secret_sealed, row.previous_secret_sealed].some((sealed) => sealed !== null && !box.isCurrent(sealed));
      if (!stale) continue;
      let resealed;
      try {
        resealed = {
          secret_sealed: box.seal(box.open(row.secret_sealed)),
          previous_secret_sealed: row.previous_secret_sealed === null ? null : box.seal(box.open(row.previous_secret_sealed)),
        };
      } catch {
        report.unreadable.push(row.id);
        continue;
      }
      if (await replaceSealedSecrets(db, row, resealed)) report.resealed += 1;
      else report.changedMeanwhile += 1;
    }
    if (page.length < PAGE) return report;
    afterId = page.at(-1)!.id;
  }
}
