// Stand-ins for n8n's function contexts, for edge cases a real n8n makes hard to reach. The
// HTTP helper is real: it applies the credential's `authenticate` and sends with undici to the
// sandbox, returning what n8n's helper returns with returnFullResponse + ignoreHttpStatusErrors.
import type { ICredentialDataDecryptedObject, IDataObject, IHttpRequestOptions, INode } from 'n8n-workflow';
import { request } from 'undici';

import { MemoriesLiveVideoApi } from '../../../credentials/MemoriesLiveVideoApi.credentials';

export interface Credentials {
	apiKey: string;
	baseUrl: string;
}

export const node: INode = {
	id: 'node-1',
	name: 'Memories.ai Live Video',
	type: 'n8n-nodes-memories-live-video.memoriesLiveVideo',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
	webhookId: 'webhook-1',
};

async function httpRequestWithAuthentication(credentials: Credentials, options: IHttpRequestOptions) {
	const authenticated = await new MemoriesLiveVideoApi().authenticate(credentials as unknown as ICredentialDataDecryptedObject, options);
	try {
		const response = await request(authenticated.url, {
			method: authenticated.method as 'POST',
			headers: authenticated.headers as Record<string, string>,
			body: authenticated.body as string,
			headersTimeout: authenticated.timeout,
			bodyTimeout: authenticated.timeout,
		});
		return { statusCode: response.statusCode, body: await response.body.text(), headers: response.headers };
	} catch (error) {
		// n8n wraps client errors; the original error code survives as `cause`.
		throw Object.assign(new Error('Request failed'), { cause: error });
	}
}

export interface ContextOptions {
	credentials: Credentials;
	parameters: Record<string, unknown> | Array<Record<string, unknown>>;
	continueOnFail?: boolean;
	staticData?: IDataObject;
	activationMode?: string;
	webhookUrl?: string;
	request?: { method: string; headers: Record<string, string>; query: Record<string, unknown>; body: unknown; url?: string; rawBody?: Buffer };
	/** The node has no credential selected (Receive mode may run without one). */
	withoutCredential?: boolean;
	/** What getMode() says (webhooks: 'webhook', or 'manual' for a test webhook). */
	mode?: string;
}

export interface FakeResponse {
	statusCode?: number;
	body?: unknown;
	ended: boolean;
	status(code: number): FakeResponse;
	json(body: unknown): FakeResponse;
	end(): FakeResponse;
}

export function fakeResponse(): FakeResponse {
	const res: FakeResponse = {
		ended: false,
		status(code) {
			res.statusCode = code;
			return res;
		},
		json(body) {
			res.body = body;
			res.ended = true;
			return res;
		},
		end() {
			res.ended = true;
			return res;
		},
	};
	return res;
}

/** A context object with the methods our nodes call on execute, hook and webhook contexts. */
export function fakeContext(options: ContextOptions) {
	const items = Array.isArray(options.parameters) ? options.parameters : [options.parameters];
	const staticData = options.staticData ?? {};
	const response = fakeResponse();
	const requests: IHttpRequestOptions[] = [];
	const logs: Array<{ level: string; message: string }> = [];
	const log = (level: string) => (message: string) => void logs.push({ level, message });
	const context = {
		response,
		requests,
		logs,
		logger: { warn: log('warn'), info: log('info'), error: log('error'), debug: log('debug') },
		staticData,
		getInputData: () => items.map(() => ({ json: {} })),
		getNode: () => (options.withoutCredential ? node : { ...node, credentials: { memoriesLiveVideoApi: { id: 'cred-1', name: 'account' } } }),
		getMode: () => options.mode ?? 'webhook',
		getWorkflow: () => ({ id: 'workflow-1', name: 'test', active: true }),
		continueOnFail: () => options.continueOnFail === true,
		getNodeParameter(name: string, indexOrFallback?: unknown, fallback?: unknown) {
			const index = typeof indexOrFallback === 'number' ? indexOrFallback : 0;
			const value = items[index]?.[name];
			if (value !== undefined) return value;
			return typeof indexOrFallback === 'number' ? fallback : indexOrFallback;
		},
		getCredentials: async () => options.credentials,
		getWorkflowStaticData: () => staticData,
		getActivationMode: () => options.activationMode ?? 'activate',
		getNodeWebhookUrl: () => options.webhookUrl ?? 'http://127.0.0.1:5678/webhook/webhook-1/results',
		getRequestObject: () => options.request,
		getResponseObject: () => response,
		getQueryData: () => options.request?.query ?? {},
		getBodyData: () => options.request?.body ?? {},
		getHeaderData: () => options.request?.headers ?? {},
		helpers: {
			httpRequestWithAuthentication: async (_type: string, requestOptions: IHttpRequestOptions) => {
				requests.push(requestOptions);
				return httpRequestWithAuthentication(options.credentials, requestOptions);
			},
			returnJsonArray: (data: IDataObject | IDataObject[]) => (Array.isArray(data) ? data : [data]).map((json) => ({ json })),
		},
	};
	return context;
}
