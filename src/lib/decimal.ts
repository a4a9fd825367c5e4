/**
 * `multipleOf` for decimal divisors, exactly. In binary floating point 19.99 / 0.01 is
 * 1998.9999999999998, so the usual quotient test refuses every other money value. A JSON number
 * parses to the double whose shortest decimal form is what the client wrote: scale both numbers
 * by the decimal places that form shows, and compare whole numbers.
 */
function decimalPlaces(value: number): number | null {
  const text = String(value);
  if (text.includes('e') || text.includes('E')) return null;
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

export function isMultipleOf(value: number, divisor: number): boolean {
  if (!Number.isFinite(value) || !Number.isFinite(divisor) || divisor <= 0) return false;
  const valuePlaces = decimalPlaces(value);
  const divisorPlaces = decimalPlaces(divisor);
  if (valuePlaces !== null && divisorPlaces !== null) {
    const scale = 10 ** Math.max(valuePlaces, divisorPlaces);
    const scaledValue = Math.round(value * scale);
    const scaledDivisor = Math.round(divisor * scale);
    if (Number.isSafeInteger(scaledValue) && Number.isSafeInteger(scaledDivisor)) return scaledValue % scaledDivisor === 0;
  }
  // Exponent forms and numbers past 2^53 once scaled: the nearest-integer test on the quotient.
  const quotient = value / divisor;
  return Math.abs(quotient - Math.round(quotient)) < 1e-9;
}
