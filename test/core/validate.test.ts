import {
	DEFAULT_BASE_URL,
	DEFAULT_SYSTEM_PROMPT,
	InputError,
	Limits,
	MemoriesApiError,
	interpretStartResponse,
	isTaskId,
	parseCallbackPayload,
	validateApiKey,
	validateBaseUrl,
	validateCallbackUrl,
	validatePublicUrl,
	validateRtmpUrl,
	validateStartInput,
	validateSystemPrompt,
	validateTaskId,
	validateUserPrompt,
} from '../../core';

const good = {
	rtmpUrl: 'rtmp://camera.example.com:1935/live/kitchen',
	userPrompt: 'Tell me when the pan is boiling over.',
	systemPrompt: 'You watch a kitchen.',
	callbackUrl: 'https://hooks.example.com/memories?token=abc',
	thinking: true,
};

function problemOf(input: Partial<typeof good> & Record<string, unknown>): InputError {
	try {
		validateStartInput({ ...good, ...input });
	} catch (error) {
		expect(error).toBeInstanceOf(InputError);
		return error as InputError;
	}
	throw new Error('expected validation to fail');
}

describe('validateStartInput', () => {
	it('accepts a complete start and trims text', () => {
		expect(
			validateStartInput({ ...good, rtmpUrl: `  ${good.rtmpUrl} `, userPrompt: '  watch  ' }),
		).toEqual({ ...good, userPrompt: 'watch' });
	});

	it('accepts rtmps and http callbacks', () => {
		const params = validateStartInput({ ...good, rtmpUrl: 'rtmps://live.example/app/key', callbackUrl: 'http://10.0.0.5:1880/cb' });
		expect(params.rtmpUrl).toBe('rtmps://live.example/app/key');
		expect(params.callbackUrl).toBe('http://10.0.0.5:1880/cb');
	});

	it('defaults the system prompt and thinking', () => {
		const params = validateStartInput({ rtmpUrl: good.rtmpUrl, userPrompt: 'x', callbackUrl: good.callbackUrl });
		expect(params.systemPrompt).toBe(DEFAULT_SYSTEM_PROMPT);
		expect(params.thinking).toBe(false);
	});

	it.each([
		['empty', '', /RTMP URL is empty/],
		['missing', undefined, /RTMP URL is empty/],
		['a number', 42, /RTMP URL must be text/],
		['http', 'http://camera.example.com/live', /must start with rtmp:\/\/ or rtmps:\/\/ \(this one starts with "http:"\)/],
		['a file path', '/videos/kitchen.mp4', /must start with rtmp:\/\/ or rtmps:\/\//],
		['without host', 'rtmp:///live/x', /no host name|not a valid address/],
		['with spaces', 'rtmp://cam.example/live/my stream', /spaces or line breaks/],
		['too long', `rtmp://cam.example/${'a'.repeat(Limits.urlLength)}`, /longer than 2048/],
	])('rejects an RTMP URL that is %s', (_name, rtmpUrl, message) => {
		const error = problemOf({ rtmpUrl: rtmpUrl as string });
		expect(error.field).toBe('RTMP URL');
		expect(error.message).toMatch(message);
	});

	it('never repeats the RTMP URL, which may hold a stream key', () => {
		const error = problemOf({ rtmpUrl: 'http://live.example/app/SECRET-STREAM-KEY' });
		expect(error.message).not.toContain('SECRET-STREAM-KEY');
	});

	it.each([
		['relative', '/memories/results', /must start with http:\/\/ or https:\/\//],
		['ftp', 'ftp://files.example/x', /this one starts with "ftp:"/],
		['empty', '  ', /Callback URL is empty/],
		['object', { url: 'x' }, /must be text/],
	])('rejects a callback URL that is %s', (_name, callbackUrl, message) => {
		const error = problemOf({ callbackUrl: callbackUrl as string });
		expect(error.field).toBe('Callback URL');
		expect(error.message).toMatch(message);
	});

	it('rejects a blank user prompt with advice', () => {
		const error = problemOf({ userPrompt: ' \n\t ' });
		expect(error.field).toBe('User Prompt');
		expect(error.message).toMatch(/User Prompt is empty\./);
	});

	it.each([[''], [' \n\t '], [null]])('uses the default system prompt for %j (left empty)', (systemPrompt) => {
		expect(validateStartInput({ ...good, systemPrompt }).systemPrompt).toBe(DEFAULT_SYSTEM_PROMPT);
	});

	it('rejects prompts over the length limit and says how long they are', () => {
		const error = problemOf({ userPrompt: 'x'.repeat(Limits.promptLength + 1) });
		expect(error.message).toMatch(/longer than 20000 characters \(it has 20001\)/);
	});

	it.each([
		[true, true],
		[false, false],
		['true', true],
		['FALSE', false],
		['', false],
		[null, false],
	])('reads thinking %p as %p', (thinking, expected) => {
		expect(validateStartInput({ ...good, thinking: thinking as boolean }).thinking).toBe(expected);
	});

	it.each([['yes'], [1], [{}]])('rejects thinking %p', (thinking) => {
		expect(problemOf({ thinking: thinking as boolean }).message).toBe('Thinking must be true or false.');
	});

	it('reports every problem at once', () => {
		const error = problemOf({ rtmpUrl: '', userPrompt: '', callbackUrl: 'nope' });
		expect(error.field).toBe('RTMP URL, User Prompt, Callback URL');
		expect(error.message).toMatch(/RTMP URL is empty.*User Prompt is empty.*Callback URL must start/s);
	});
});

describe('validateTaskId', () => {
	it('accepts ids Start returns, trimmed', () => {
		expect(validateTaskId(' 5347085a-7c1e-4bd6-a6d1-1e6a0f0b6c3d ')).toBe('5347085a-7c1e-4bd6-a6d1-1e6a0f0b6c3d');
		expect(validateTaskId(12345)).toBe('12345');
	});

	it.each([[''], [undefined], [null]])('rejects an empty id (%p)', (value) => {
		expect(() => validateTaskId(value)).toThrow('Task ID is empty. Use the task_id that Start returned.');
	});

	it.each([['../admin'], ['a/b'], ['..'], ['a b'], ['x'.repeat(129)], ['ä']])('rejects %p', (value) => {
		expect(() => validateTaskId(value)).toThrow(/Task ID is not one that Start returns/);
	});

	it('rejects non-text ids', () => {
		expect(() => validateTaskId({ id: 1 })).toThrow('Task ID must be text.');
	});
});

describe('validateBaseUrl', () => {
	it('defaults to the real service', () => {
		expect(validateBaseUrl('')).toBe(DEFAULT_BASE_URL);
		expect(validateBaseUrl(undefined)).toBe(DEFAULT_BASE_URL);
	});

	it('drops trailing slashes and keeps a proxy path', () => {
		expect(validateBaseUrl('http://127.0.0.1:4010/')).toBe('http://127.0.0.1:4010');
		expect(validateBaseUrl('https://proxy.example/memories//')).toBe('https://proxy.example/memories');
	});

	it.each([
		['rtmp://x', /must start with http:\/\/ or https:\/\//],
		['https://x.example/?a=1', /must not contain "\?" or "#"/],
		[42, /must be text/],
	])('rejects %p', (value, message) => {
		expect(() => validateBaseUrl(value)).toThrow(message);
	});
});

describe('validateApiKey', () => {
	it('accepts any prefix and trims', () => {
		expect(validateApiKey(' sk-mai-abc ')).toBe('sk-mai-abc');
		expect(validateApiKey('sk-mavi-1')).toBe('sk-mavi-1');
		expect(validateApiKey('custom-key')).toBe('custom-key');
	});

	it('refuses a Bearer prefix and says so', () => {
		expect(() => validateApiKey('Bearer sk-mai-abc')).toThrow('without "Bearer "');
	});

	it.each([[''], [undefined], [3]])('refuses an empty key (%p)', (value) => {
		expect(() => validateApiKey(value)).toThrow(/API Key is empty/);
	});

	it('refuses keys with line breaks without repeating them', () => {
		let message = '';
		try {
			validateApiKey('sk-secret\r\nX-Evil: 1');
		} catch (error) {
			message = (error as Error).message;
		}
		expect(message).toMatch(/line breaks/);
		expect(message).not.toContain('sk-secret');
	});
});

describe('one field at a time (for editors)', () => {
	it('validates each start field as validateStartInput does', () => {
		expect(validateRtmpUrl(' rtmps://cam.example/live ')).toBe('rtmps://cam.example/live');
		expect(() => validateRtmpUrl('http://x')).toThrow(/RTMP URL must start with rtmp:\/\//);
		expect(validateCallbackUrl('https://x.example/cb')).toBe('https://x.example/cb');
		expect(() => validateCallbackUrl('x')).toThrow(/Callback URL/);
		expect(() => validateUserPrompt(' ')).toThrow(/User Prompt is empty/);
		expect(validateSystemPrompt(undefined)).toBe(DEFAULT_SYSTEM_PROMPT);
	});

	it('takes an empty Public URL as "not set" and refuses others that are not http(s)', () => {
		expect(validatePublicUrl('')).toBe('');
		expect(validatePublicUrl('https://red.example/nodered/')).toBe('https://red.example/nodered');
		expect(() => validatePublicUrl('red.example')).toThrow(/Public URL must start with http:\/\/ or https:\/\//);
		expect(() => validatePublicUrl('https://red.example/?x')).toThrow(/must not contain/);
	});
});

describe('one task-id rule for ids sent and received', () => {
	const ids: Array<[string, boolean]> = [
		['5347085a-1111', true],
		['a.b~c_d-e', true],
		['x'.repeat(Limits.taskIdLength), true],
		['.', false],
		['..', false],
		['x'.repeat(Limits.taskIdLength + 1), false],
		['a/b', false],
		['', false],
		['é', false],
	];

	it.each(ids)('%p: stop, the start answer and callbacks agree (%p)', (id, valid) => {
		expect(isTaskId(id)).toBe(valid);
		if (valid) expect(validateTaskId(id)).toBe(id);
		else expect(() => validateTaskId(id)).toThrow(/Task ID/);
		let started: unknown;
		try {
			started = interpretStartResponse({ httpStatus: 200, body: { status: 0, task_id: id } });
		} catch (error) {
			started = error;
		}
		expect(started instanceof MemoriesApiError).toBe(!valid);
		expect(parseCallbackPayload({ status: 0, task_id: id, data: { text: 'x' } }).ok).toBe(valid);
	});
});
