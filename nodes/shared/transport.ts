// Sends the core's requests through n8n's own authenticated HTTP helper (n8n's rules require it)
// and hands the raw answer back to the core. No protocol rule lives here.
import type { IExecuteFunctions, IHookFunctions, IHttpRequestOptions, IWebhookFunctions } from 'n8n-workflow';

import { InputError, Transport, validateApiKey, validateBaseUrl } from '../../core';

export const CREDENTIAL_TYPE = 'memoriesLiveVideoApi';

export type ApiContext = IExecuteFunctions | IHookFunctions | IWebhookFunctions;

/** What every call needs from the credential: where to send, and what must never be echoed. */
export interface ApiSession {
	baseUrl: string;
	secrets: string[];
}

export async function openSession(context: ApiContext): Promise<ApiSession> {
	if (context.getNode().credentials?.[CREDENTIAL_TYPE] === undefined) {
		throw new InputError('Credential', 'Select a Memories.ai Live Video API credential (your API key and the Base URL) in this node.');
	}
	const credentials = await context.getCredentials(CREDENTIAL_TYPE);
	const apiKey = validateApiKey(credentials.apiKey);
	return { baseUrl: validateBaseUrl(credentials.baseUrl), secrets: [apiKey] };
}

/** The client's own error code (ECONNRESET, ETIMEDOUT…), wherever n8n's wrapping put it. */
function errorCodeOf(error: unknown): string | undefined {
	for (let current = error, depth = 0; current && depth < 5; depth++) {
		const code = (current as { code?: unknown }).code;
		if (typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code)) return code;
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}

/** A response header as text (n8n hands headers over as its HTTP client got them). */
function headerOf(headers: Record<string, unknown> | undefined, name: string): string | undefined {
	const value = headers?.[name];
	if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
	return typeof value === 'string' ? value : undefined;
}

/** The core's Transport over n8n's helper; the credential adds the API key. */
export function n8nTransport(context: ApiContext): Transport {
	return async (request) => {
		const options: IHttpRequestOptions = {
			method: request.method,
			url: request.url,
			headers: request.headers,
			body: request.body,
			json: false,
			encoding: 'text',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: request.timeoutMs,
			// n8n's helper follows redirects, with the key, unless told not to: the core reports a 3xx instead.
			disableFollowRedirect: true,
			sendCredentialsOnCrossOriginRedirect: false,
		};
		try {
			const response = (await context.helpers.httpRequestWithAuthentication.call(context, CREDENTIAL_TYPE, options)) as {
				statusCode: number;
				body: unknown;
				headers?: Record<string, unknown>;
			};
			return {
				httpStatus: response.statusCode,
				body: response.body,
				location: headerOf(response.headers, 'location'),
				retryAfter: headerOf(response.headers, 'retry-after'),
			};
		} catch (error) {
			return { errorCode: errorCodeOf(error) };
		}
	};
}
