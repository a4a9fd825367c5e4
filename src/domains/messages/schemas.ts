import { Type, type Static } from 'typebox';
import { DateTime, Nullable, iso, isoOrNull } from '../../lib/schema.ts';
import type { Row } from '../../db/types.ts';

export const MESSAGE_STATUSES = ['received', 'queued', 'sent', 'delivered', 'failed'] as const;
export const MESSAGE_DIRECTIONS = ['inbound', 'outbound'] as const;

export const MessageSchema = Type.Object(
  {
    id: Type.String({ examples: ['msg_01jd5m0d9d6v3fw8p3n4q7r2s1'] }),
    object: Type.Literal('message'),
    conversation_id: Type.String(),
    direction: Type.Enum(MESSAGE_DIRECTIONS),
    body: Type.String(),
    status: Type.Enum(MESSAGE_STATUSES),
    sent_at: Nullable(DateTime('When an outbound message left FARO.')),
    created_at: DateTime(),
  },
  { title: 'Message', description: 'One message in a conversation, inbound (from the contact) or outbound.' },
);
export type Message = Static<typeof MessageSchema>;

export function toMessage(row: Row<'messages'>): Message {
  return {
    id: row.id,
    object: 'message',
    conversation_id: row.conversation_id,
    direction: row.direction,
    body: row.body,
    status: row.status,
    sent_at: isoOrNull(row.sent_at),
    created_at: iso(row.created_at),
  };
}

export interface MessageFilters {
  conversation_id?: string | undefined;
  direction?: 'inbound' | 'outbound' | undefined;
  created_since?: string | undefined;
}
