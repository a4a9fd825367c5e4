/*
 * One atomic check: the same algorithm as rate-limiter.ts (see the comment there), a constant
 * number of hash operations per check (amortized: a bucket is written at the tail and deleted
 * from the head once each).
 * KEYS[1] = limiter hash. Fields: window (ms), used (the running total), head and tail (sequence
 * numbers of the oldest and newest bucket), and the newest bucket, still open, as index (its
 * bucket index), count and last (ms of its last request). Closed buckets are fields named by
 * their sequence number, valued "count:last".
 * ARGV = now ms, window ms, limit, cost (0 = peek; n >= 1: count up to n requests, as many as the
 * quota holds, as n checks in a row would), and optionally a lease: units wanted, hold ms, and
 * the quota that must stay free after it. A lease is granted whole, only when all `cost` requests
 * were and the free quota allows; its units are counted in the tail bucket at once, and that
 * bucket's `last` moves to the lease's end, so every request the lease admits (before its end)
 * is counted for at least one window after it, as a request checked alone would be.
 * A consume with a different window than the stored one starts the key afresh; a peek with a
 * different window only reports it empty, so a mistaken peek can never reset a live limit.
 * The time comes from the caller, not from Redis TIME: tests drive it with a manual clock, and
 * instances agree as long as their clocks are synced (NTP).
 * Returns { requests counted (0..cost), used (lease included), ms until more quota is available
 * (-1: nothing counted), units leased (0 when none), the sequence number of the bucket holding them }.
 */
export const RATE_LIMIT_SCRIPT = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local leaseWanted = tonumber(ARGV[5] or '0')
local leaseHold = tonumber(ARGV[6] or '0')
local keepFree = tonumber(ARGV[7] or '0')
local function int(x) return string.format('%d', x) end

local stored = redis.call('HMGET', key, 'window', 'used', 'head', 'tail', 'index', 'count', 'last')
local used, head, tail, index, count, last = 0, 1, 0, 0, 0, 0
if stored[1] then
  if tonumber(stored[1]) ~= window then
    if cost == 0 then return { 0, 0, -1, 0, 0 } end
    redis.call('DEL', key)
  elseif tonumber(stored[7]) + window <= now then
    redis.call('DEL', key)
  else
    used, head, tail = tonumber(stored[2]), tonumber(stored[3]), tonumber(stored[4])
    index, count, last = tonumber(stored[5]), tonumber(stored[6]), tonumber(stored[7])
  end
end

local readSeq, readCount, readLast
local function bucket(seq)
  if seq == tail then return count, last end
  if seq ~= readSeq then
    local c, l = string.match(redis.call('HGET', key, seq), '^(%d+):(%d+)$')
    readSeq, readCount, readLast = seq, tonumber(c), tonumber(l)
  end
  return readCount, readLast
end

local expired = false
while head < tail do
  local c, l = bucket(head)
  if l + window > now then break end
  redis.call('HDEL', key, head)
  used = used - c
  head = head + 1
  expired = true
end

local granted, leased = 0, 0
if cost > 0 and used < limit then
  granted = math.min(cost, limit - used)
  if granted == cost and leaseWanted > 0 and limit - used - granted - leaseWanted >= keepFree then
    leased = leaseWanted
  end
  used = used + granted + leased
  local counted = now
  if leased > 0 then counted = now + leaseHold end
  local current = math.floor(now * 60 / window)
  if tail > 0 and current <= index then
    count, last = count + granted + leased, math.max(counted, last)
    if expired then
      redis.call('HSET', key, 'used', used, 'head', head, 'count', count, 'last', int(last))
    else
      redis.call('HSET', key, 'used', used, 'count', count, 'last', int(last))
    end
  else
    if tail > 0 then
      redis.call('HSET', key, tail, int(count) .. ':' .. int(last))
      last = math.max(counted, last)
    else
      last = counted
    end
    tail, index, count = tail + 1, current, granted + leased
    redis.call('HSET', key, 'window', ARGV[2], 'used', used, 'head', head, 'tail', tail,
      'index', int(index), 'count', count, 'last', int(last))
  end
  redis.call('PEXPIRE', key, int(last + window - now))
elseif expired then
  redis.call('HSET', key, 'used', used, 'head', head)
end

local wait = -1
if used > 0 then
  if limit == 0 then
    wait = window
  else
    local seq, left, c, l = head, used, 0, 0
    repeat
      c, l = bucket(seq)
      left = left - c
      seq = seq + 1
    until left < limit or seq > tail
    wait = l + window - now
  end
end
return { granted, used, wait, leased, tail }
`;

/*
 * Gives back a lease's unused units: they leave the bucket that counted them (its `last` stays,
 * so the bucket is never remembered for less time) and the running total. Nothing happens once
 * a window has passed since the lease's end: its bucket has left the window then, and the key may
 * have started afresh (sequence numbers start again at 1), so the number could name another bucket.
 * KEYS[1] = limiter hash; ARGV = window ms, the bucket's sequence number, units, now ms, the lease's end ms.
 * Returns the units given back.
 */
export const RETURN_LEASE_SCRIPT = `
local key = KEYS[1]
if tonumber(ARGV[4]) >= tonumber(ARGV[5]) + tonumber(ARGV[1]) then return 0 end
local stored = redis.call('HMGET', key, 'window', 'used', 'head', 'tail', 'count')
if not stored[1] or tonumber(stored[1]) ~= tonumber(ARGV[1]) then return 0 end
local seq, units = tonumber(ARGV[2]), tonumber(ARGV[3])
local used, head, tail = tonumber(stored[2]), tonumber(stored[3]), tonumber(stored[4])
if seq < head or seq > tail then return 0 end
if seq == tail then
  local count = tonumber(stored[5])
  local back = math.min(units, count)
  redis.call('HSET', key, 'used', used - back, 'count', count - back)
  return back
end
local c, l = string.match(redis.call('HGET', key, seq), '^(%d+):(%d+)$')
local back = math.min(units, tonumber(c))
redis.call('HSET', key, seq, string.format('%d', tonumber(c) - back) .. ':' .. l, 'used', used - back)
return back
`;
