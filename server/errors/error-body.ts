import Type from 'typebox';

/** The body of every error answer: `{"error": "<reason>"}`. */
export const ErrorBody = Type.Object({ error: Type.String() });
