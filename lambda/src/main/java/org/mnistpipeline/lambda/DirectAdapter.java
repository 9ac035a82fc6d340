package org.mnistpipeline.lambda;

import org.mnistpipeline.inference.TensorDecoders;
import org.mnistpipeline.inference.http.HttpEdge;
import org.mnistpipeline.inference.http.HttpRequest;
import org.mnistpipeline.inference.http.Invocations;

/**
 * Direct invocation with {@code {"instances": [...]}} (or a bare array): the event is the body of
 * a JSON {@code POST /invocations}, scored by the same sequence; the answer is the predictions
 * JSON itself, or {@code {"error": ..., "status": 4xx}}.
 */
record DirectAdapter(FunctionEnvironment env, Invocations invocations) {
    PredictionHandler.Outcome handle(byte[] event, String requestId) {
        HttpRequest request = new HttpRequest("POST", "(direct invocation)",
                name -> name.equals("content-type") ? TensorDecoders.JSON : null, () -> {
                    PredictionHandler.checkSize(event.length, env.config);
                    return event;
                });
        HttpEdge.Answer answer = HttpEdge.answer("invoke", invocations, request,
                PredictionHandler.errorLog(env.log, requestId));
        if (answer.error() != null) {
            return PredictionHandler.Outcome.refused("direct", "invoke", answer.error());
        }
        return new PredictionHandler.Outcome(answer.response().body(), "direct", "invoke", 200,
                answer.response().images(), answer.response().cachedImages());
    }
}
