export type ModelApi = 'chat.completions' | 'responses';

export interface ToolSpec {
	name: string;
	description: string;
	parameters: unknown;
}

/** One request to the model, as the model sees it: the same shape for both APIs. */
export interface ModelRequest {
	api: ModelApi;
	/** The Authorization header it came with. */
	authorization: string | undefined;
	model: string;
	/** The text messages: system (or developer), user, assistant. */
	messages: Array<{ role: string; content: string }>;
	/** The tools offered: name (n8n: the tool node's name), description, JSON schema of the arguments. */
	tools: ToolSpec[];
	/** Tool calls of earlier turns, as the request replays them. */
	toolCalls: Array<{ callId: string; name: string; arguments: string }>;
	/** What each tool returned, as the request hands it back. */
	toolResults: Array<{ callId: string; output: string }>;
	/** The body as received. */
	body: Record<string, unknown>;
}

export type Reply = { toolCalls: Array<{ name: string; arguments: Record<string, unknown> }> } | { text: string };

export interface Turn {
	/** What this turn is, for failure messages. */
	name: string;
	/** The model's answer to this request; it may wait for something first (the model "watching"). */
	reply: (request: ModelRequest) => Reply | Promise<Reply>;
}

export interface FakeOpenAi {
	/** The Base URL for n8n's OpenAI credential, e.g. `http://127.0.0.1:40001/v1`. */
	url: string;
	/** Every request received, scripted or not, oldest first. */
	requests: ModelRequest[];
	/** Why each refused (400) request was refused. */
	failures: string[];
	/** Sets the turns that answer the next requests, in order; throws if the previous script was not used up. */
	script(turns: Turn[]): void;
	/** Names of the turns not yet asked for. */
	remaining(): string[];
	/** The latest result of a tool in a request, parsed as JSON; throws if there is none. */
	toolResult(request: ModelRequest, toolName: string): unknown;
	close(): Promise<void>;
}

export function startFakeOpenAi(): Promise<FakeOpenAi>;
