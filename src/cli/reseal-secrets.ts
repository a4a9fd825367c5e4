import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { resolveLocalSecrets } from '../main.ts';
import { secretBoxFromConfig } from '../domains/webhooks/secret-box.ts';
import { resealWebhookSecrets } from '../domains/webhooks/secret-reseal.ts';

/**
 * `npm run secrets:reseal`: after rotating FARO_SECRET_KEY (new key in FARO_SECRET_KEY, old ones
 * in FARO_SECRET_KEY_PREVIOUS), re-seal every webhook secret with the new key. Exits 1 if some
 * secret opens with none of the keys given.
 */
const config = resolveLocalSecrets(loadConfig());
const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
try {
  const report = await resealWebhookSecrets(database.db, secretBoxFromConfig(config));
  console.log(
    `checked ${report.checked} webhook subscriptions: re-sealed ${report.resealed}, ` +
      `${report.changedMeanwhile} rotated meanwhile (already current), ${report.unreadable.length} unreadable`,
  );
  if (report.unreadable.length > 0) {
    console.error(`these open with none of the keys given (add the key that sealed them to FARO_SECRET_KEY_PREVIOUS): ${report.unreadable.join(', ')}`);
    process.exitCode = 1;
  }
} finally {
  await database.close();
}
