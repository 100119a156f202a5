package org.clinlora.registry.versions;

import java.util.List;
import org.clinlora.platform.registry.AdapterCard;

/**
 * One page of a version search ({@code GET /v1/versions}): the cards in the asked order, how many matched in all, and
 * the {@code offset} of the next page (null on the last one).
 */
public record VersionPage(List<AdapterCard> versions, int total, Integer nextOffset) {}
