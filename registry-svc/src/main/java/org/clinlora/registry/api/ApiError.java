package org.clinlora.registry.api;

/** The stable error shape of every 4xx/5xx answer: a machine-readable code and a sentence for people. */
public record ApiError(String error, String message) {}
