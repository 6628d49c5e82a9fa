"""Public tips (举报): intake without sign-in, a tracking code, photos re-encoded, staff inbox."""
