// The PAC helper functions that run inside the sandbox, as one script evaluated before the
// user's PAC file. Written from the Netscape PAC description and Chromium's documented
// behaviour; the helpers that need the outside world call the natives installed by pac.ts:
//   __pacDns(kind, host)  kind 'v4' | 'all' → address string (';'-joined for 'all') or null
//   __pacMyIp(kind)       kind 'v4' | 'all' → address string or null
//   __pacClock(gmt)       → [year, month 0-11, day 1-31, weekday 0-6, hours, minutes, seconds]
//   __pacInNetEx(ip, prefix) → boolean
//   __pacSortIps(list)    → sorted list or false
// Everything is plain ES5 in sloppy mode, as PAC files are.
export const PAC_LIBRARY = String.raw`
function __pacIsIPv4(text) {
  if (typeof text !== 'string') return false;
  var parts = text.split('.');
  if (parts.length !== 4) return false;
  for (var i = 0; i < 4; i++) {
    if (!/^[0-9]{1,3}$/.test(parts[i]) || Number(parts[i]) > 255) return false;
  }
  return true;
}

function __pacOctets(text) {
  var parts = text.split('.');
  return [Number(parts[0]), Number(parts[1]), Number(parts[2]), Number(parts[3])];
}

function isPlainHostName(host) {
  host = String(host);
  // IPv6 literals carry no dot but are not host names.
  return host.indexOf('.') < 0 && host.indexOf(':') < 0;
}

function dnsDomainIs(host, domain) {
  host = String(host);
  domain = String(domain);
  if (domain.length > host.length) return false;
  return host.slice(host.length - domain.length) === domain;
}

function localHostOrDomainIs(host, hostdom) {
  host = String(host);
  hostdom = String(hostdom);
  if (host === hostdom) return true;
  // An unqualified host matches the fully qualified name it abbreviates.
  return hostdom.indexOf(host + '.') === 0;
}

function dnsDomainLevels(host) {
  return String(host).split('.').length - 1;
}

function shExpMatch(str, shexp) {
  if (typeof str !== 'string' || typeof shexp !== 'string') return false;
  var source = '^';
  for (var i = 0; i < shexp.length; i++) {
    var c = shexp.charAt(i);
    if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else if ('\\^$.|+()[]{}/'.indexOf(c) >= 0) source += '\\' + c;
    else source += c;
  }
  return new RegExp(source + '$').test(str);
}

function dnsResolve(host) {
  if (typeof host !== 'string' || host === '') return null;
  return __pacDns('v4', host);
}

function dnsResolveEx(host) {
  if (typeof host !== 'string' || host === '') return '';
  var found = __pacDns('all', host);
  return found === null ? '' : found;
}

function isResolvable(host) {
  return dnsResolve(host) !== null;
}

function isResolvableEx(host) {
  return dnsResolveEx(host) !== '';
}

function myIpAddress() {
  var found = __pacMyIp('v4');
  return found === null ? '127.0.0.1' : found;
}

function myIpAddressEx() {
  var found = __pacMyIp('all');
  return found === null ? '' : found;
}

function isInNet(host, pattern, mask) {
  if (!__pacIsIPv4(pattern) || !__pacIsIPv4(mask)) return false;
  var address = __pacIsIPv4(host) ? host : dnsResolve(host);
  if (address === null || !__pacIsIPv4(address)) return false;
  var a = __pacOctets(address), p = __pacOctets(pattern), m = __pacOctets(mask);
  for (var i = 0; i < 4; i++) {
    if ((a[i] & m[i]) !== (p[i] & m[i])) return false;
  }
  return true;
}

function isInNetEx(ipAddress, ipPrefix) {
  return __pacInNetEx(String(ipAddress), String(ipPrefix));
}

function sortIpAddressList(list) {
  if (typeof list !== 'string') return false;
  return __pacSortIps(list);
}

function getClientVersion() {
  return '1.0';
}

var __pacDays = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
var __pacMonths = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

// Splits a trailing "GMT" off an argument list.
function __pacArgs(args) {
  var list = Array.prototype.slice.call(args);
  var gmt = list.length > 0 && list[list.length - 1] === 'GMT';
  if (gmt) list.pop();
  return { list: list, gmt: gmt };
}

// lo <= value <= hi, or outside (hi, lo) when the range wraps around.
function __pacWithin(value, lo, hi) {
  return lo <= hi ? (lo <= value && value <= hi) : (value >= lo || value <= hi);
}

function weekdayRange() {
  var a = __pacArgs(arguments);
  if (a.list.length < 1 || a.list.length > 2) return false;
  var first = __pacDays.indexOf(String(a.list[0]));
  var last = a.list.length === 2 ? __pacDays.indexOf(String(a.list[1])) : first;
  if (first < 0 || last < 0) return false;
  return __pacWithin(__pacClock(a.gmt)[3], first, last);
}

// A dateRange argument is a day (1-31), a month name or a year (four digits).
function __pacDatePart(value) {
  var month = __pacMonths.indexOf(String(value));
  if (month >= 0) return { month: month };
  var n = parseInt(value, 10);
  if (isNaN(n)) return null;
  return n < 32 ? { day: n } : { year: n };
}

function dateRange() {
  var a = __pacArgs(arguments);
  var n = a.list.length;
  if (n < 1 || n > 6) return false;
  var clock = __pacClock(a.gmt);
  var now = { year: clock[0], month: clock[1], day: clock[2] };
  var parts = [];
  for (var i = 0; i < n; i++) {
    var part = __pacDatePart(a.list[i]);
    if (part === null) return false;
    parts.push(part);
  }
  // One argument: that day, month or year. Otherwise the first half is the start and the
  // second half the end; only the fields the caller named take part in the comparison.
  var startParts = n === 1 ? parts : parts.slice(0, n >> 1);
  var endParts = n === 1 ? parts : parts.slice(n >> 1);
  var start = {}, end = {}, used = {};
  for (var s = 0; s < startParts.length; s++) for (var k in startParts[s]) { start[k] = startParts[s][k]; used[k] = true; }
  for (var e = 0; e < endParts.length; e++) for (var j in endParts[e]) { end[j] = endParts[e][j]; used[j] = true; }
  function key(date, fallbackMonth, fallbackDay) {
    var y = used.year ? (date.year !== undefined ? date.year : now.year) : 0;
    var m = used.month ? (date.month !== undefined ? date.month : fallbackMonth) : 0;
    var d = used.day ? (date.day !== undefined ? date.day : fallbackDay) : 0;
    return y * 10000 + m * 100 + d;
  }
  var current = key(now, now.month, now.day);
  return __pacWithin(current, key(start, 0, 1), key(end, 11, 31));
}

function timeRange() {
  var a = __pacArgs(arguments);
  var v = [];
  for (var i = 0; i < a.list.length; i++) {
    var n = parseInt(a.list[i], 10);
    if (isNaN(n)) return false;
    v.push(n);
  }
  var clock = __pacClock(a.gmt);
  var now = clock[4] * 3600 + clock[5] * 60 + clock[6];
  var start, end;
  if (v.length === 1) {
    start = v[0] * 3600; end = start + 3599;
  } else if (v.length === 2) {
    start = v[0] * 3600; end = v[1] * 3600 + 3599;
  } else if (v.length === 4) {
    start = v[0] * 3600 + v[1] * 60; end = v[2] * 3600 + v[3] * 60 + 59;
  } else if (v.length === 6) {
    start = v[0] * 3600 + v[1] * 60 + v[2]; end = v[3] * 3600 + v[4] * 60 + v[5];
  } else {
    return false;
  }
  return __pacWithin(now, start, end);
}
`
