// Refused callbacks: counted, the last reason kept, a warning at most once per interval (by the
// time of the last one: no timer), saying how many came in between.
import { REFUSAL_REPORT_INTERVAL_MS, newRefusalTally, refusalAdvice, refusalKind, tallyRefusal } from '../../core';

const token = { httpStatus: 401 as const, reason: 'Missing or wrong "token" in the callback URL.' };
const body = { httpStatus: 400 as const, reason: 'The body is not valid JSON.' };

describe('tallyRefusal', () => {
	it('reports the first refusal at once, then stays quiet for the interval, then reports the count since', () => {
		const tally = newRefusalTally();
		expect(tallyRefusal(tally, token, 1000)).toEqual({ ...token, kind: 'token', since: 1, total: 1 });
		expect(tallyRefusal(tally, token, 2000)).toBeUndefined();
		expect(tallyRefusal(tally, body, 3000)).toBeUndefined();
		expect(tally).toMatchObject({ total: 3, unreported: 2, last: { ...body, kind: 'body' } });
		expect(tallyRefusal(tally, token, 1000 + REFUSAL_REPORT_INTERVAL_MS)).toEqual({ ...token, kind: 'token', since: 3, total: 4 });
		expect(JSON.parse(JSON.stringify(tally))).toEqual(tally); // plain JSON
	});

	it('names each kind and says what to check', () => {
		expect([401, 400, 405, 413, 415].map((s) => refusalKind(s as 401))).toEqual(['token', 'body', 'method', 'size', 'type']);
		expect(refusalAdvice('token')).toMatch(/\?token=.*proxy.*query string/);
		expect(refusalAdvice('body')).toMatch(/result is lost/);
	});
});
