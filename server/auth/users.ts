/**
 * Transitional: the domain is split by flow; this file re-exports it so callers keep compiling
 * while they move to the flow files. Deleted once nothing imports it.
 */
export { cancelEmailChange, deleteAccount, requireReauthentication, updateProfile } from './account.js';
export { changePassword } from './password-change.js';
export { isResetTokenValid, requestPasswordReset, resetPassword } from './password-reset.js';
export {
  authenticate,
  issueSession,
  listAccessTokens,
  logIn,
  logOut,
  logOutEverywhere,
  revokeAccessToken,
} from './sessions.js';
export { findByIdentifier, identifierFields, resendVerification, signUp } from './sign-up.js';
export {
  confirmEmail,
  inspectConfirmationLink,
  logInWithConfirmationLink,
  verifyEmail,
} from './verification.js';
