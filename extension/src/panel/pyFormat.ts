// Python's number formatting (`f"{x:,}"`, `f"{x:.2f}"`, `f"{x:.3g}"`), reproduced digit for
// digit, so figures the panel formats read exactly as the server's lenses. JavaScript's toFixed
// and toPrecision differ: they round a value lying exactly halfway up (1.125 -> "1.13"), where
// Python rounds it to the even digit ("1.12"). Pure, so it is unit-tested.

/** `f"{n:,}"` for an integer: digits grouped by three with commas. */
export function grouped(n: number): string {
  const digits = Math.abs(Math.trunc(n)).toString();
  return (n < 0 ? "-" : "") + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** `f"{x:.{places}f}"` (`f"{x:,.{places}f}"` with `group`), for a finite x >= 0. */
export function fixed(x: number, places: number, group = false): string {
  const digits = roundedScaled(x, places)
    .toString()
    .padStart(places + 1, "0");
  const whole = digits.slice(0, digits.length - places);
  const shownWhole = group ? grouped(Number(whole)) : whole;
  return places > 0 ? `${shownWhole}.${digits.slice(-places)}` : shownWhole;
}

/** `f"{x:.{precision}g}"`, for a finite x > 0. */
export function general(x: number, precision: number): string {
  let exponent = Number(x.toExponential().split("e")[1]);
  let digits = roundedScaled(x, precision - 1 - exponent).toString();
  if (digits.length > precision) {
    // Rounding carried into a new digit (999.5 -> 1000): one decade up, the digits exact.
    exponent += 1;
    digits = digits.slice(0, precision);
  }
  if (exponent < -4 || exponent >= precision) {
    const mantissa = withoutTrailingZeros(`${digits.slice(0, 1)}.${digits.slice(1)}`);
    const sign = exponent < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  const point = exponent + 1; // digits before the decimal point
  const text =
    point > 0
      ? `${digits.slice(0, point)}.${digits.slice(point)}`
      : `0.${"0".repeat(-point)}${digits}`;
  return withoutTrailingZeros(text);
}

function withoutTrailingZeros(text: string): string {
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}

/** x * 10^places rounded to an integer, half to even, computed exactly from x's binary value. */
function roundedScaled(x: number, places: number): bigint {
  const [mantissa, twos] = binaryParts(x);
  let numerator = mantissa;
  let denominator = 1n;
  if (twos >= 0) {
    numerator <<= BigInt(twos);
  } else {
    denominator <<= BigInt(-twos);
  }
  if (places >= 0) {
    numerator *= 10n ** BigInt(places);
  } else {
    denominator *= 10n ** BigInt(-places);
  }
  const quotient = numerator / denominator;
  const twiceRemainder = 2n * (numerator % denominator);
  if (twiceRemainder > denominator || (twiceRemainder === denominator && quotient % 2n === 1n)) {
    return quotient + 1n;
  }
  return quotient;
}

/** [m, e] with x = m * 2^e exactly, for a finite x >= 0. */
function binaryParts(x: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  return biased === 0 ? [fraction, -1074] : [fraction | (1n << 52n), biased - 1075];
}
