package org.clinlora.tokenizer.datasets;

import java.util.concurrent.atomic.AtomicLong;

/** A build's live progress while this process runs it: notes and source bytes read, rows skipped. */
final class BuildProgress {
    final AtomicLong notes = new AtomicLong(), bytes = new AtomicLong(), skipped = new AtomicLong();
    volatile Long notesTotal, bytesTotal;
    volatile boolean running;
}
