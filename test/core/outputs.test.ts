import {
	InputError,
	MAX_DURATION_LIMIT_MINUTES,
	maxDurationEndEvent,
	maxDurationExceeded,
	parseCallbackPayload,
	failedStopOutput,
	resultOutput,
	startMessage,
	startOutput,
	stopOutput,
	validateMaxDuration,
} from '../../core';

describe('resultOutput', () => {
	it('gives both hosts the same snake_case shape', () => {
		const check = parseCallbackPayload({ status: 0, task_id: 'abc', data: { text: 'hi', timestamp: '2025-10-22T12:00:45Z' } });
		if (!check.ok) throw new Error(check.reason);
		expect(resultOutput(check.event)).toEqual({
			event: 'result',
			task_id: 'abc',
			status: 0,
			text: 'hi',
			timestamp: '2025-10-22T12:00:45.000Z',
			ended: false,
		});
	});
});

describe('maximum duration', () => {
	it.each([
		[undefined, 0],
		['', 0],
		[0, 0],
		[1.5, 1.5],
		['30', 30],
		[MAX_DURATION_LIMIT_MINUTES, MAX_DURATION_LIMIT_MINUTES],
	])('reads %p as %p minutes', (value, minutes) => {
		expect(validateMaxDuration(value)).toBe(minutes);
	});

	it.each([[-1], ['soon'], [MAX_DURATION_LIMIT_MINUTES + 1], [Infinity], [{}]])('refuses %p', (value) => {
		expect(() => validateMaxDuration(value)).toThrow(InputError);
	});

	it('is exceeded only with a limit, once the time has passed', () => {
		expect(maxDurationExceeded(0, 0, 10 ** 12)).toBe(false);
		expect(maxDurationExceeded(0, 2, 119999)).toBe(false);
		expect(maxDurationExceeded(0, 2, 120000)).toBe(true);
	});

	it('describes the stop as an ended event', () => {
		expect(maxDurationEndEvent('t1', { maxDurationMinutes: 1 }, Date.UTC(2025, 0, 1))).toEqual({
			taskId: 't1',
			status: 14,
			text: 'Stopped after the maximum duration of 1 minute.',
			timestamp: '2025-01-01T00:00:00.000Z',
			ended: true,
		});
		expect(maxDurationEndEvent('t1', { maxDurationMinutes: 5 }, 0).text).toMatch(/5 minutes\.$/);
		// A deadline from the callback URL: the minutes are not known there, the time it was due is.
		expect(maxDurationEndEvent('t1', { stopAt: Date.UTC(2025, 0, 1, 13) }, Date.UTC(2025, 0, 1, 13, 0, 4)).text).toBe(
			'Stopped at its deadline (Stop After), 2025-01-01T13:00:00.000Z.',
		);
	});
});

describe('startOutput and stopOutput', () => {
	it('show what was started, the secret masked, the same in both hosts', () => {
		const params = {
			rtmpUrl: 'rtmp://cam/live/1',
			userPrompt: 'watch',
			systemPrompt: 'You are a monitor.',
			callbackUrl: 'https://x.example/cb?token=s3cret-s3cret-s3cret',
			thinking: true,
		};
		expect(startOutput({ taskId: 't1', params, startedAt: Date.UTC(2025, 0, 1) }, 30)).toEqual({
			task_id: 't1',
			message: startMessage('t1', { maxDurationMinutes: 30 }),
			started_at: '2025-01-01T00:00:00.000Z',
			rtmp_url: 'rtmp://cam/live/1',
			user_prompt: 'watch',
			system_prompt: 'You are a monitor.',
			callback_url: 'https://x.example/cb?token=***',
			thinking: true,
			max_duration_minutes: 30,
			stop_at: null,
		});
		expect(startOutput({ taskId: 't1', params, startedAt: 0 }).max_duration_minutes).toBe(0);
		// The deadline is the one the callback URL carries, as a receiver will read it.
		const withDeadline = { ...params, callbackUrl: 'https://x.example/cb?token=s3cret-s3cret-s3cret&stop_at=1735691400' };
		expect(startOutput({ taskId: 't1', params: withDeadline, startedAt: Date.UTC(2025, 0, 1) }, 30)).toMatchObject({
			callback_url: 'https://x.example/cb?token=***&stop_at=1735691400',
			max_duration_minutes: 30,
			stop_at: '2025-01-01T00:30:00.000Z',
		});
	});

	it('tell whoever reads Start (a person, an AI agent) what it costs, how to stop it and what else ends it', () => {
		const billing =
			'Started stream analysis task t1. It is billed every 5 seconds until it is stopped: when its results are no longer needed, stop it with Stop and task_id t1 (stopping it again is harmless).';
		expect(startMessage('t1', { maxDurationMinutes: 0 })).toBe(`${billing} Nothing else stops it before its video source ends.`);
		expect(startMessage('t1', { maxDurationMinutes: 1 })).toBe(`${billing} If nobody stops it, it is stopped after 1 minute.`);
		expect(startMessage('t1', { maxDurationMinutes: 30 })).toMatch(/stopped after 30 minutes\.$/);
		// The seam for a deadline carried by the callback URL (issue 15 item 1): it wins over the host's own limit.
		expect(startMessage('t1', { maxDurationMinutes: 30, stopAtSeconds: Date.UTC(2025, 0, 1, 1) / 1000 })).toBe(
			`${billing} If nobody stops it, it stops itself at 2025-01-01T01:00:00.000Z.`,
		);
	});

	it('say what became of a task, in words too', () => {
		expect(stopOutput({ outcome: 'stopped', taskId: 't1' })).toEqual({
			task_id: 't1',
			outcome: 'stopped',
			stopped: true,
			message: 'Stopped: no more results will arrive and billing has ended.',
		});
		expect(stopOutput({ outcome: 'not_found', taskId: 't1' })).toMatchObject({ outcome: 'not_found', stopped: false, message: expect.stringMatching(/^Not found or already stopped/) });
		expect(failedStopOutput('t1', 'status 5000')).toEqual({
			task_id: 't1',
			outcome: 'failed',
			stopped: false,
			message: expect.stringMatching(/may still be running and billing/),
			error: 'status 5000',
		});
	});

	it('mark a stream the host ended itself', () => {
		expect(resultOutput(maxDurationEndEvent('t1', 2, 0), 'max_duration')).toMatchObject({ event: 'stream_ended', ended: true, reason: 'max_duration' });
	});
});
