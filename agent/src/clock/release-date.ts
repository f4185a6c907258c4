/**
 * The earliest wall-clock time the agent believes (config `clock.not_before` overrides it).
 * A constant in the source, not stamped by the build: the first day of the year this
 * version is released in, bumped with each release year. A board without an RTC boots in
 * 1970 (or at its kernel's or image's build time, or at fake-hwclock's last saved time); any
 * clock before this date is certainly wrong, and a coarse date cannot be "in the future" for
 * a correctly set device because a build machine's clock was ahead.
 */
export const RELEASE_DATE_MS = Date.UTC(2026, 0, 1);
