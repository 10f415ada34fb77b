'use strict';
// The scripted model API of the AI Agent end-to-end test (fake-openai.js), spoken to the way OpenAI's client does:
// both APIs' shapes, tool results checked against the calls they answer, and every request it was not scripted for
// answered 400 and recorded. Fast: no real host.
const { startFakeOpenAi } = require('./fake-openai');

let fake;
beforeEach(async () => {
	fake = await startFakeOpenAi();
});
afterEach(async () => {
	await fake.close();
});

const TOOLS_CHAT = [{ type: 'function', function: { name: 'start_stream', description: 'Start it', parameters: { type: 'object', properties: { url: { type: 'string' } } } } }];
const TOOLS_RESPONSES = [{ type: 'function', name: 'start_stream', description: 'Start it', parameters: { type: 'object' }, strict: false }];

async function post(path, body, headers = {}) {
	const res = await fetch(`${fake.url}${path}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', authorization: 'Bearer sk-fake', ...headers },
		body: typeof body === 'string' ? body : JSON.stringify(body),
	});
	return { status: res.status, json: await res.json() };
}

const startThenSay = (text) => [
	{ name: 'start', reply: () => ({ toolCalls: [{ name: 'start_stream', arguments: { url: 'rtmp://cam/live' } }] }) },
	{ name: 'answer', reply: (request) => ({ text: `${text} ${fake.toolResult(request, 'start_stream')[0].task_id}` }) },
];

test('Chat Completions: a scripted tool call, then an answer that reads the tool result', async () => {
	fake.script(startThenSay('started'));
	const messages = [
		{ role: 'system', content: 'You are a helpful assistant' },
		{ role: 'user', content: 'Watch the camera' },
	];
	const first = await post('/chat/completions', { model: 'fake-model', stream: false, messages, tools: TOOLS_CHAT });
	expect(first.status).toBe(200);
	expect(first.json.choices[0]).toEqual({
		index: 0,
		finish_reason: 'tool_calls',
		message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1_1', type: 'function', function: { name: 'start_stream', arguments: '{"url":"rtmp://cam/live"}' } }] },
	});
	const second = await post('/chat/completions', {
		model: 'fake-model',
		messages: [...messages, first.json.choices[0].message, { role: 'tool', tool_call_id: 'call_1_1', content: '[{"task_id":"t-1"}]' }],
		tools: TOOLS_CHAT,
	});
	expect(second.json.choices[0]).toMatchObject({ finish_reason: 'stop', message: { role: 'assistant', content: 'started t-1' } });
	expect(second.json.usage).toEqual({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 });
	expect(fake.requests[1]).toMatchObject({
		api: 'chat.completions',
		authorization: 'Bearer sk-fake',
		model: 'fake-model',
		messages: [
			{ role: 'system', content: 'You are a helpful assistant' },
			{ role: 'user', content: 'Watch the camera' },
		],
		tools: [{ name: 'start_stream', description: 'Start it', parameters: TOOLS_CHAT[0].function.parameters }],
		toolCalls: [{ callId: 'call_1_1', name: 'start_stream', arguments: '{"url":"rtmp://cam/live"}' }],
		toolResults: [{ callId: 'call_1_1', output: '[{"task_id":"t-1"}]' }],
	});
	expect(fake.failures).toEqual([]);
	expect(fake.remaining()).toEqual([]);
});

test('Responses API: the same script in its shapes', async () => {
	fake.script(startThenSay('started'));
	const input = [{ role: 'user', content: [{ type: 'input_text', text: 'Watch the camera' }] }];
	const first = await post('/responses', { model: 'fake-model', stream: false, input, tools: TOOLS_RESPONSES });
	expect(first.json).toMatchObject({
		object: 'response',
		status: 'completed',
		output: [{ type: 'function_call', call_id: 'call_1_1', name: 'start_stream', arguments: '{"url":"rtmp://cam/live"}', status: 'completed' }],
		usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
	});
	const call = first.json.output[0];
	const second = await post('/responses', {
		model: 'fake-model',
		input: [...input, { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments }, { type: 'function_call_output', call_id: call.call_id, output: '[{"task_id":"t-2"}]' }],
		tools: TOOLS_RESPONSES,
	});
	expect(second.json.output).toEqual([{ type: 'message', id: 'msg_2', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'started t-2', annotations: [] }] }]);
	expect(fake.requests[1]).toMatchObject({ api: 'responses', messages: [{ role: 'user', content: 'Watch the camera' }], toolResults: [{ callId: 'call_1_1', output: '[{"task_id":"t-2"}]' }] });
	expect(fake.failures).toEqual([]);
});

test('answers 400 and records why for everything it was not scripted for', async () => {
	const models = await fetch(`${fake.url}/models`);
	expect(models.status).toBe(400);
	expect((await post('/chat/completions', 'not json')).status).toBe(400);
	fake.script([
		{ name: 'streamed', reply: () => ({ text: 'never' }) },
		{ name: 'unknown tool', reply: () => ({ toolCalls: [{ name: 'stop_stream', arguments: {} }] }) },
		{ name: 'start', reply: () => ({ toolCalls: [{ name: 'start_stream', arguments: {} }] }) },
		{ name: 'result missing', reply: () => ({ text: 'never' }) },
	]);
	const streamed = await post('/chat/completions', { model: 'm', stream: true, messages: [] });
	expect(streamed.status).toBe(400);
	expect(streamed.json.error.message).toMatch(/stream: true/);
	expect((await post('/chat/completions', { model: 'm', messages: [], tools: TOOLS_CHAT })).status).toBe(400); // offers no stop_stream
	expect((await post('/chat/completions', { model: 'm', messages: [], tools: TOOLS_CHAT })).status).toBe(200); // start
	const missing = await post('/chat/completions', { model: 'm', messages: [], tools: TOOLS_CHAT });
	expect(missing.json.error.message).toMatch(/no result of start_stream \(call_1_1\)/);
	expect((await post('/chat/completions', { model: 'm', messages: [] })).status).toBe(400); // script used up
	expect(fake.failures).toEqual([
		'unscripted GET /v1/models',
		'/v1/chat/completions: the body is not JSON',
		'turn "streamed": a streamed request (stream: true) is not scripted',
		'turn "unknown tool": the request offers no tool stop_stream (it offers start_stream)',
		'turn "result missing": the request carries no result of start_stream (call_1_1)',
		'/v1/chat/completions: no scripted turn left for request 5 (the script has 4)',
	]);
	expect(fake.requests).toHaveLength(5); // every JSON object request, refused or not
});

test('a turn that throws is refused with its message; a new script needs the old one used up', async () => {
	fake.script([{ name: 'reads a result', reply: (request) => ({ text: fake.toolResult(request, 'start_stream') }) }]);
	const res = await post('/responses', { model: 'm', input: [] });
	expect(res.status).toBe(400);
	expect(fake.failures).toEqual(['turn "reads a result": the request carries no result of start_stream']);
	fake.script([{ name: 'never asked', reply: () => ({ text: 'x' }) }]);
	expect(() => fake.script([])).toThrow(/turns never asked for: never asked/);
});
