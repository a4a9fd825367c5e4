/** The shapes the queue repository reads and writes (queue-repository.ts). */
import type { DeliveryErrorKind, DeliveryStatus } from '../../../db/types.ts';

/** A leased delivery with what an attempt needs from its subscription. */
export interface ClaimedDelivery {
  id: string;
  agency_id: string;
  subscription_id: string;
  event_id: string | null;
  event_type: string;
  payload: string;
  /** This attempt's number (the claim counts it). */
  attempts: number;
  is_test: boolean;
  locked_by: string;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  subscription_enabled: boolean;
  subscription_deleted_at: Date | null;
  failing_since: Date | null;
}

export interface AttemptRecord {
  deliveryId: string;
  agencyId: string;
  subscriptionId: string;
  isTest: boolean;
  attemptNumber: number;
  startedAt: Date;
  durationMs: number;
  requestHeaders: Record<string, string>;
  responseStatus: number | null;
  responseHeaders: Record<string, string> | null;
  responseBodyExcerpt: string | null;
  errorKind: DeliveryErrorKind | null;
  errorMessage: string | null;
}

export interface DeliveryResult {
  status: Exclude<DeliveryStatus, 'delivering'>;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
}

export interface Release {
  /** The lease being ended: only its holder, for that attempt, may end it. */
  id: string;
  workerId: string;
  attempts: number;
  now: Date;
  result: DeliveryResult;
  /** Cancelled without sending: the claim's count of this attempt is taken back. */
  uncount?: boolean;
}
