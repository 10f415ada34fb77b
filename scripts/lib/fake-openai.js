'use strict';
// A scripted stand-in for an OpenAI-compatible model API, for n8n's AI Agent in end-to-end tests: n8n's OpenAI
// chat model node reaches it through its credential's Base URL. It serves exactly what a test scripts — one turn
// per model request, in order, over Chat Completions (`POST /v1/chat/completions`) or the Responses API
// (`POST /v1/responses`, what a new OpenAI chat model node uses), never streamed — records every request in one
// shape for both APIs, and fails loudly on anything else: such a request is answered 400 (which the OpenAI client
// does not retry) with the reason, and the reason is kept in `failures` for the test to assert on.
// Types: fake-openai.d.ts. node: builtins only.
const http = require('node:http');

/** @typedef {import('./fake-openai').ModelApi} ModelApi */
/** @typedef {import('./fake-openai').ModelRequest} ModelRequest */
/** @typedef {import('./fake-openai').Reply} Reply */
/** @typedef {import('./fake-openai').Turn} Turn */
/** @typedef {Record<string, any>} Json */

/** @param {unknown} value @returns {value is Json} */
const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
/** @param {unknown} value @returns {any[]} */
const list = (value) => (Array.isArray(value) ? value : []);

/** A message content as text: a string, or the text parts of a content array. @param {unknown} content */
function contentText(content) {
	if (typeof content === 'string') return content;
	return list(content)
		.map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : ''))
		.join('');
}

/** @param {ModelApi} api @param {Json} body @returns {Omit<ModelRequest, 'authorization' | 'body'>} */
function emptyRequest(api, body) {
	return { api, model: String(body.model), messages: [], tools: [], toolCalls: [], toolResults: [] };
}

/** @param {Json} body */
function readChatCompletions(body) {
	const request = emptyRequest('chat.completions', body);
	for (const tool of list(body.tools)) {
		const fn = isObject(tool) && isObject(tool.function) ? tool.function : {};
		request.tools.push({ name: String(fn.name), description: String(fn.description ?? ''), parameters: fn.parameters });
	}
	for (const message of list(body.messages)) {
		if (!isObject(message)) continue;
		if (message.role === 'tool') {
			request.toolResults.push({ callId: String(message.tool_call_id), output: contentText(message.content) });
			continue;
		}
		for (const call of list(message.tool_calls)) {
			const fn = isObject(call) && isObject(call.function) ? call.function : {};
			request.toolCalls.push({ callId: String(isObject(call) ? call.id : ''), name: String(fn.name), arguments: String(fn.arguments) });
		}
		const text = contentText(message.content);
		if (text) request.messages.push({ role: String(message.role), content: text });
	}
	return request;
}

/** @param {Json} body */
function readResponses(body) {
	const request = emptyRequest('responses', body);
	for (const tool of list(body.tools)) {
		if (isObject(tool)) request.tools.push({ name: String(tool.name), description: String(tool.description ?? ''), parameters: tool.parameters });
	}
	if (typeof body.instructions === 'string') request.messages.push({ role: 'system', content: body.instructions });
	const input = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : list(body.input);
	for (const item of input) {
		if (!isObject(item)) continue;
		if (item.type === 'function_call') {
			request.toolCalls.push({ callId: String(item.call_id), name: String(item.name), arguments: String(item.arguments) });
		} else if (item.type === 'function_call_output') {
			request.toolResults.push({ callId: String(item.call_id), output: typeof item.output === 'string' ? item.output : JSON.stringify(item.output) });
		} else if (typeof item.role === 'string') {
			const text = contentText(item.content);
			if (text) request.messages.push({ role: item.role, content: text });
		}
	}
	return request;
}

/** The model's answer in the request's API; tool calls are identified as `call_<turn>_<n>`. @param {ModelApi} api @param {string} model @param {number} turn @param {Reply} reply */
function render(api, model, turn, reply) {
	const created = Math.floor(Date.now() / 1000);
	const calls = 'toolCalls' in reply ? reply.toolCalls.map((call, i) => ({ id: `call_${turn}_${i + 1}`, name: call.name, arguments: JSON.stringify(call.arguments) })) : [];
	if (api === 'responses') {
		const output =
			'toolCalls' in reply
				? calls.map((call) => ({ type: 'function_call', id: `fc_${call.id}`, call_id: call.id, name: call.name, arguments: call.arguments, status: 'completed' }))
				: [{ type: 'message', id: `msg_${turn}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: reply.text, annotations: [] }] }];
		return { id: `resp_${turn}`, object: 'response', created_at: created, status: 'completed', model, output, usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 } };
	}
	const message =
		'toolCalls' in reply
			? { role: 'assistant', content: null, tool_calls: calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) }
			: { role: 'assistant', content: reply.text };
	return {
		id: `chatcmpl-${turn}`,
		object: 'chat.completion',
		created,
		model,
		choices: [{ index: 0, finish_reason: 'toolCalls' in reply ? 'tool_calls' : 'stop', message }],
		usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
	};
}

/** @returns {Promise<import('./fake-openai').FakeOpenAi>} */
async function startFakeOpenAi() {
	/** @type {ModelRequest[]} */
	const requests = [];
	/** @type {string[]} */
	const failures = [];
	/** @type {Turn[]} */
	let turns = [];
	let next = 0;
	let answered = 0;
	/** Tool calls of the last answer, whose results the next request must carry. @type {Array<{ id: string, name: string }>} */
	let pendingCalls = [];

	/** @param {http.ServerResponse} res @param {number} status @param {Json} body */
	const send = (res, status, body) => {
		const text = JSON.stringify(body);
		res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
		res.end(text);
	};
	/** @param {http.ServerResponse} res @param {string} reason */
	const refuse = (res, reason) => {
		failures.push(reason);
		send(res, 400, { error: { message: `fake OpenAI API: ${reason}`, type: 'invalid_request_error', code: 'unscripted' } });
	};

	/** @param {http.IncomingMessage} req @param {http.ServerResponse} res @param {string} raw */
	const answer = async (req, res, raw) => {
		const path = (req.url ?? '').split('?')[0];
		/** @type {ModelApi | undefined} */
		const api = req.method !== 'POST' ? undefined : path === '/v1/chat/completions' ? 'chat.completions' : path === '/v1/responses' ? 'responses' : undefined;
		if (!api) return refuse(res, `unscripted ${req.method} ${req.url}`);
		let body;
		try {
			body = JSON.parse(raw);
		} catch {
			return refuse(res, `${path}: the body is not JSON`);
		}
		if (!isObject(body)) return refuse(res, `${path}: the body is not a JSON object`);
		/** @type {ModelRequest} */
		const request = { ...(api === 'responses' ? readResponses(body) : readChatCompletions(body)), authorization: req.headers.authorization, body };
		requests.push(request);
		// Every request takes the next turn, answered or refused: a refusal never shifts the rest of the script.
		const turn = turns[next];
		if (!turn) return refuse(res, `${path}: no scripted turn left for request ${requests.length} (the script has ${turns.length})`);
		next++;
		if (body.stream === true) return refuse(res, `turn "${turn.name}": a streamed request (stream: true) is not scripted`);
		const unanswered = pendingCalls.filter((call) => !request.toolResults.some((result) => result.callId === call.id));
		if (unanswered.length > 0) {
			return refuse(res, `turn "${turn.name}": the request carries no result of ${unanswered.map((c) => `${c.name} (${c.id})`).join(', ')}`);
		}
		/** @type {Reply} */
		let reply;
		try {
			reply = await turn.reply(request);
		} catch (error) {
			return refuse(res, `turn "${turn.name}": ${/** @type {Error} */ (error).message}`);
		}
		if ('toolCalls' in reply) {
			// n8n's agent silently drops a call to a tool it did not offer: a failure here.
			const unknown = reply.toolCalls.filter((call) => !request.tools.some((tool) => tool.name === call.name));
			if (unknown.length > 0) {
				const offered = request.tools.map((t) => t.name).join(', ') || 'none';
				return refuse(res, `turn "${turn.name}": the request offers no tool ${unknown.map((c) => c.name).join(', ')} (it offers ${offered})`);
			}
		}
		answered++;
		pendingCalls = 'toolCalls' in reply ? reply.toolCalls.map((call, i) => ({ id: `call_${answered}_${i + 1}`, name: call.name })) : [];
		send(res, 200, render(api, request.model, answered, reply));
	};

	const server = http.createServer((req, res) => {
		/** @type {Buffer[]} */
		const chunks = [];
		req.on('data', (chunk) => chunks.push(chunk));
		req.on('end', () => {
			answer(req, res, Buffer.concat(chunks).toString('utf8')).catch((error) => refuse(res, `internal: ${error.message}`));
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
	const address = /** @type {import('node:net').AddressInfo} */ (server.address());

	return {
		url: `http://127.0.0.1:${address.port}/v1`,
		requests,
		failures,
		script(newTurns) {
			if (next < turns.length) throw new Error(`fake OpenAI API: turns never asked for: ${turns.slice(next).map((t) => t.name).join(', ')}`);
			turns = newTurns;
			next = 0;
			pendingCalls = [];
		},
		remaining: () => turns.slice(next).map((t) => t.name),
		toolResult(request, toolName) {
			const call = [...request.toolCalls].reverse().find((c) => c.name === toolName && request.toolResults.some((r) => r.callId === c.callId));
			const result = call && request.toolResults.find((r) => r.callId === call.callId);
			if (!result) throw new Error(`the request carries no result of ${toolName}`);
			return JSON.parse(result.output);
		},
		close: () =>
			new Promise((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve(undefined));
			}),
	};
}

module.exports = { startFakeOpenAi };
