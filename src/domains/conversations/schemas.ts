import { Type, type Static } from 'typebox';
import { DateTime, Nullable, iso, isoOrNull } from '../../lib/schema.ts';
import type { Row } from '../../db/types.ts';

export const CHANNELS = ['sms', 'webchat', 'google', 'facebook', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];
export const CONVERSATION_STATUSES = ['open', 'closed'] as const;

export const ConversationSchema = Type.Object(
  {
    id: Type.String({ examples: ['conv_01jd5m0d9d6v3fw8p3n4q7r2s1'] }),
    object: Type.Literal('conversation'),
    location_id: Type.String(),
    channel: Type.Enum(CHANNELS),
    contact: Type.Object({ name: Type.String(), phone: Nullable(Type.String()), email: Nullable(Type.String()) }),
    status: Type.Enum(CONVERSATION_STATUSES),
    last_message_at: Nullable(DateTime()),
    created_at: DateTime(),
    updated_at: DateTime(),
  },
  { title: 'Conversation', description: 'A thread in the unified inbox with one contact on one channel.' },
);
export type Conversation = Static<typeof ConversationSchema>;

export function toConversation(row: Row<'conversations'>): Conversation {
  return {
    id: row.id,
    object: 'conversation',
    location_id: row.location_id,
    channel: row.channel,
    contact: { name: row.contact_name, phone: row.contact_phone, email: row.contact_email },
    status: row.status,
    last_message_at: isoOrNull(row.last_message_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export interface NewConversation {
  location_id: string;
  channel: Channel;
  contact: { name: string; phone?: string | null; email?: string | null };
}

export interface ConversationFilters {
  location_id?: string | undefined;
  status?: 'open' | 'closed' | undefined;
  channel?: Channel | undefined;
  updated_since?: string | undefined;
}
