// Sends the core's requests through n8n's own authenticated HTTP helper (n8n's rules require it)
// and hands the raw answer back to the core. No protocol rule lives here.
import type { IExecuteFunctions, IHookFunctions, IHttpRequestOptions, IWebhookFunctions } from 'n8n-workflow';

import { Transport, validateApiKey, validateBaseUrl } from '../../core';

export const CREDENTIAL_TYPE = 'memoriesLiveVideoApi';

export type ApiContext = IExecuteFunctions | IHookFunctions | IWebhookFunctions;

/** What every call needs from the credential: where to send, and what must never be echoed. */
export interface ApiSession {
	baseUrl: string;
	secrets: string[];
}

export async function openSession(context: ApiContext): Promise<ApiSession> {
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
		};
		try {
			const response = (await context.helpers.httpRequestWithAuthentication.call(context, CREDENTIAL_TYPE, options)) as {
				statusCode: number;
				body: unknown;
			};
			return { httpStatus: response.statusCode, body: response.body };
		} catch (error) {
			return { errorCode: errorCodeOf(error) };
		}
	};
}
