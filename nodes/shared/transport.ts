// Sends the core's requests through n8n's own authenticated HTTP helper (n8n's rules require it)
// and hands the raw answer back to the core. No protocol rule lives here.
import type { IExecuteFunctions, IHookFunctions, IHttpRequestOptions, IWebhookFunctions } from 'n8n-workflow';

import { ApiRequest, ApiResponse, Operation, interpretRequestFailure, validateApiKey, validateBaseUrl } from '../../core';

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

export async function sendApiRequest(
	context: ApiContext,
	operation: Operation,
	request: ApiRequest,
): Promise<ApiResponse> {
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
	let response: { statusCode: number; body: unknown };
	try {
		response = (await context.helpers.httpRequestWithAuthentication.call(context, CREDENTIAL_TYPE, options)) as {
			statusCode: number;
			body: unknown;
		};
	} catch (error) {
		throw interpretRequestFailure(operation, errorCodeOf(error));
	}
	return { httpStatus: response.statusCode, body: response.body };
}
