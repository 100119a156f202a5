package org.clinlora.console.pages;

import static org.clinlora.console.backend.ServiceCalls.Service.TRAINER;
import static org.clinlora.console.backend.ServiceCalls.encode;

import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.Authenticated;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.clinlora.console.backend.ServiceCalls;
import org.clinlora.platform.failure.InvalidRequest;

/**
 * {@code /compare?id=a&id=b…}: two to five training jobs side by side ({@link RunComparison}) — the settings that
 * differ, the final metrics, the loss and per-epoch validation curves overlaid. The jobs page's checkboxes lead here;
 * one job, more than five, or an id given twice is a 400 page saying so.
 */
// Not under /jobs/: a job may be named "compare" (ids are store names), and /jobs/{id} would lose to this path.
@Path("/compare")
@Authenticated
public class ComparePages {
    private final ServiceCalls calls;
    private final SignedInUser session;
    private final Template compare;

    public ComparePages(ServiceCalls calls, SignedInUser session, Template compare) {
        this.calls = calls;
        this.session = session;
        this.compare = compare;
    }

    @GET
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance page(@QueryParam("id") List<String> ids) {
        List<String> jobs = checked(ids);
        String token = session.bearer();
        List<String> paths = new ArrayList<>();
        for (String id : jobs) {
            paths.add("/v1/jobs/" + encode(id));
            paths.add("/v1/jobs/" + encode(id) + "/metrics");
        }
        List<ServiceCalls.Reply> replies = calls.getAll(TRAINER, paths, token);
        List<RunComparison.Run> runs = new ArrayList<>();
        for (int i = 0; i < jobs.size(); i++) {
            var job = calls.require(replies.get(2 * i));
            var curve = calls.require(replies.get(2 * i + 1));
            runs.add(new RunComparison.Run(job, curve, JobPages.trainDataset(calls, job, token)));
        }
        RunComparison c = RunComparison.of(runs);
        return compare.data("user", session.user())
                .data("ids", jobs)
                .data("runs", c.runs())
                .data("differing", c.differing())
                .data("same", c.same())
                .data("all", c.all())
                .data("metrics", c.metrics())
                .data("compareJson", PageData.scriptJson(c.curves()));
    }

    /** Two to five distinct, valid job ids, in the order given. */
    static List<String> checked(List<String> ids) {
        List<String> given = ids == null
                ? List.of()
                : ids.stream()
                        .filter(s -> s != null && !s.isBlank())
                        .map(String::strip)
                        .toList();
        LinkedHashSet<String> distinct = new LinkedHashSet<>(given);
        if (distinct.size() != given.size()) throw new InvalidRequest("a job is named twice; compare different jobs");
        if (given.size() < RunComparison.MIN || given.size() > RunComparison.MAX)
            throw new InvalidRequest("compare " + RunComparison.MIN + " to " + RunComparison.MAX
                    + " jobs: tick them in the jobs list (" + given.size() + " given)");
        given.forEach(JobPages::requireId);
        return given;
    }
}
