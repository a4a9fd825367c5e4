import { randomInt } from 'node:crypto';

/** Realistic-looking sample data for demos and simulated events. Nothing here is a real person. */
const FIRST = ['Maria', 'James', 'Aisha', 'Chen', 'Olivia', 'Diego', 'Priya', 'Noah', 'Fatima', 'Liam', 'Sofia', 'Ethan', 'Grace', 'Mateo'];
const LAST = ['Garcia', 'Smith', 'Khan', 'Wei', 'Johnson', 'Rossi', 'Patel', 'Brown', 'Haddad', "O'Neill", 'Kowalski', 'Nguyen'];

export const DEMO_LOCATIONS = [
  { name: 'Harbor Dental — Downtown', address_line1: '120 Harbor St', city: 'Boston', region: 'MA', postal_code: '02110', phone: '+16175550142', website: 'https://harbordental.example', timezone: 'America/New_York' },
  { name: 'Harbor Dental — Cambridge', address_line1: '48 Brattle St', city: 'Cambridge', region: 'MA', postal_code: '02138', phone: '+16175550178', website: 'https://harbordental.example/cambridge', timezone: 'America/New_York' },
  { name: 'Sunrise Yoga Studio', address_line1: '9 Ocean Ave', city: 'Santa Monica', region: 'CA', postal_code: '90401', phone: '+13105550119', website: 'https://sunriseyoga.example', timezone: 'America/Los_Angeles' },
];

const INBOUND = [
  'Hi, do you have any openings this Saturday morning?',
  'Can I reschedule my appointment from Tuesday to Thursday?',
  'What are your prices for a first visit?',
  'Is there parking near the studio?',
  'Thanks for the reminder! See you tomorrow.',
  'Do you take Delta Dental insurance?',
  'My daughter needs a cleaning, are you accepting new patients?',
];
const OUTBOUND = [
  'Hi! Yes, we have 9:30 and 11:00 available on Saturday. Which works best?',
  "Of course — you're moved to Thursday at 2 pm. See you then!",
  'First visits are $89 including X-rays. Would you like to book?',
];
const REVIEWS: [number, string][] = [
  [5, 'Friendly staff and they got me in the same day. Highly recommend!'],
  [5, 'Best class I have taken in years, the instructor is wonderful.'],
  [4, 'Great service, the wait was a little long but worth it.'],
  [3, 'Decent experience. Front desk could be more organised.'],
  [2, 'Had to call three times to get a call back about my bill.'],
  [1, 'Appointment cancelled at the last minute without explanation.'],
];
const LEAD_SOURCES = ['website_form', 'google_ads', 'facebook_ads', 'referral', 'phone_call'];
const SYNC_ERRORS = [
  'Google Business Profile rejected the update: the listing is suspended.',
  'Facebook page access token expired; reconnect the page in FARO.',
  'Yelp API rate limit exceeded; FARO will retry automatically.',
];

export const pick = <T>(items: readonly T[]): T => items[randomInt(items.length)]!;

export function fakePerson() {
  const first = pick(FIRST);
  const last = pick(LAST);
  return {
    name: `${first} ${last}`,
    email: `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, '') + `${randomInt(10, 99)}@example.com`,
    phone: `+1617555${String(randomInt(0, 10000)).padStart(4, '0')}`,
  };
}

export const fakeInbound = () => pick(INBOUND);
export const fakeOutbound = () => pick(OUTBOUND);
export const fakeReview = () => pick(REVIEWS);
export const fakeLeadSource = () => pick(LEAD_SOURCES);
export const fakeSyncError = () => pick(SYNC_ERRORS);
export const fakeChannel = () => pick(['sms', 'webchat', 'google', 'facebook', 'email'] as const);
export const fakeProvider = () => pick(['google', 'facebook', 'yelp'] as const);
export const fakeLeadValue = () => randomInt(20, 400) * 5;
