package org.clinlora.core.api;

/** The stable error shape of every 4xx/5xx answer of every service: a machine-readable code and a sentence. */
public record ApiError(String error, String message) {}
