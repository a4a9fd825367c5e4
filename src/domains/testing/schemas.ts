import { Type, type Static } from 'typebox';
import { DOMAIN_EVENT_TYPES } from '../events/event-types.ts';

export const TriggerEventBody = Type.Object(
  {
    type: Type.Enum(DOMAIN_EVENT_TYPES, { description: 'The event to make happen in the sandbox.', examples: ['review.created'] }),
  },
  { additionalProperties: false, title: 'TestEventRequest' },
);
export type TriggerEventInput = Static<typeof TriggerEventBody>;

export const TriggeredEventSchema = Type.Object(
  {
    event_id: Type.String({ pattern: '^evt_[0-9a-z]{26}$', description: 'The event raised; `GET /api/v1/events/{id}` returns it, and it is the `webhook-id` of its deliveries.' }),
    type: Type.Enum(DOMAIN_EVENT_TYPES),
    resource: Type.Record(Type.String(), Type.Unknown(), { description: 'The resource the action made or changed, as `GET` returns it and as the event’s `data` carries it.' }),
  },
  { title: 'TestEvent', description: 'A test event raised by a real domain action in the sandbox.' },
);
export type TriggeredEvent = Static<typeof TriggeredEventSchema>;
