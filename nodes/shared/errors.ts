import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { INode, JsonObject } from 'n8n-workflow';

import { InputError, MemoriesApiError } from '../../core';

/** The core's typed errors as n8n's: API failures as NodeApiError, bad input as NodeOperationError. */
export function toNodeError(node: INode, error: unknown, itemIndex?: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (error instanceof MemoriesApiError) {
		return new NodeApiError(node, error.toJSON() as unknown as JsonObject, {
			message: error.summary,
			description: error.advice,
			httpCode: error.httpStatus === undefined ? undefined : String(error.httpStatus),
			itemIndex,
		});
	}
	if (error instanceof InputError) {
		return new NodeOperationError(node, error.message, { itemIndex, description: `Check the ${error.field} parameter.` });
	}
	return new NodeOperationError(node, error instanceof Error ? error : String(error), { itemIndex });
}

/** The item a failed call leaves behind when the node is set to continue on fail. */
export function errorItemJson(error: NodeApiError | NodeOperationError): JsonObject {
	const details = error instanceof NodeApiError ? (error.errorResponse as JsonObject | undefined) : undefined;
	return {
		error: error.message,
		...(error.description ? { description: error.description } : {}),
		...(details && typeof details.kind === 'string'
			? { kind: details.kind, code: details.code ?? null, retryable: details.retryable ?? null }
			: {}),
	};
}
