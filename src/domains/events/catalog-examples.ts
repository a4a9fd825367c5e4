/**
 * Example payloads of the event catalog (shown in the docs and the OpenAPI `webhooks` section,
 * and the starting point of test sends). Each `data` is what GET returns for that resource.
 */
import type { EventType } from './event-types.ts';

export const EXAMPLE_AGENCY_ID = 'agy_01jd5kz8q4n2c7v9w3x5y6z8a0';
export const EXAMPLE_TIMESTAMP = '2026-03-14T15:09:26.535Z';

const LOCATION_ID = 'loc_01jd5m0d9d6v3fw8p3n4q7r2s1';
const CONVERSATION_ID = 'conv_01jd5p2f7h8k9m0n1p2q3r4s5t';

export const EXAMPLE_EVENT_IDS: Record<EventType, string> = {
  'conversation.created': 'evt_01jd5p2f7jbq3x9k4m6n8p0r2t',
  'message.received': 'evt_01jd5p2fa1c4e6g8j0k2m4n6p8',
  'review.created': 'evt_01jd5q7h3kd5f7h9k1m3n5q7s9',
  'lead.converted': 'evt_01jd5r9m2ne6g8j0m2p4r6t8v0',
  'sync.failed': 'evt_01jd5s4p8qf7h9k1n3q5s7v9x1',
  'webhook.test': 'evt_01jd5t6r0sg8j0m2p4s6v8x0z2',
};

export const EXAMPLE_DATA: Record<EventType, Record<string, unknown>> = {
  'conversation.created': {
    id: CONVERSATION_ID,
    object: 'conversation',
    location_id: LOCATION_ID,
    channel: 'sms',
    contact: { name: 'Maria Alvarez', phone: '+15555550142', email: null },
    status: 'open',
    last_message_at: '2026-03-14T15:09:26.535Z',
    created_at: '2026-03-14T15:09:26.535Z',
    updated_at: '2026-03-14T15:09:26.535Z',
  },
  'message.received': {
    id: 'msg_01jd5p2fa0b3d5f7h9k1m3n5q7',
    object: 'message',
    conversation_id: CONVERSATION_ID,
    direction: 'inbound',
    body: 'Hi! Do you have any openings for a cleaning this Saturday morning?',
    status: 'received',
    sent_at: null,
    created_at: '2026-03-14T15:09:26.535Z',
  },
  'review.created': {
    id: 'rev_01jd5q7h3jc4e6g8j0k2m4p6r8',
    object: 'review',
    location_id: LOCATION_ID,
    source: 'google',
    rating: 5,
    author_name: 'James Carter',
    body: 'Friendly staff and they fit me in the same day. Highly recommend.',
    reply: null,
    replied_at: null,
    published_at: '2026-03-14T15:02:11.000Z',
    created_at: '2026-03-14T15:09:26.535Z',
    updated_at: '2026-03-14T15:09:26.535Z',
  },
  'lead.converted': {
    id: 'lead_01jd4w1b5cd8f0h2k4m6p8r0t2',
    object: 'lead',
    location_id: LOCATION_ID,
    name: 'Priya Natarajan',
    email: 'priya.natarajan@example.com',
    phone: '+15555550187',
    source: 'website_form',
    status: 'converted',
    value: 1250,
    notes: 'Booked a full treatment plan.',
    converted_at: '2026-03-14T15:09:26.535Z',
    created_at: '2026-03-10T09:30:00.000Z',
    updated_at: '2026-03-14T15:09:26.535Z',
  },
  'sync.failed': {
    id: 'sync_01jd5s4p7pe6g8j0m2p4r6t8v0',
    object: 'sync_run',
    location_id: LOCATION_ID,
    provider: 'google',
    status: 'failed',
    error: 'Google rejected the update: the business hours overlap on Monday.',
    started_at: '2026-03-14T15:09:20.112Z',
    finished_at: '2026-03-14T15:09:26.535Z',
    created_at: '2026-03-14T15:09:26.535Z',
  },
  'webhook.test': {
    message: 'This is a test event sent from FARO.',
    subscription_id: 'whsub_01jd5t6qzrf7h9k1n3q5s7v9x1',
  },
};
