CREATE TABLE "insight_rollups_daily" (
	"day" timestamp with time zone NOT NULL,
	"agent_type" text NOT NULL,
	"environment" text NOT NULL,
	"agent_id" text NOT NULL,
	"kind" text NOT NULL,
	"tier" text NOT NULL,
	"status" text NOT NULL,
	"count" integer NOT NULL,
	"latency_hist" integer[] DEFAULT '{}' NOT NULL,
	CONSTRAINT "insight_rollups_daily_pk" PRIMARY KEY("day","agent_type","environment","agent_id","kind","tier","status")
);
--> statement-breakpoint
CREATE TABLE "insight_facets_daily" (
	"day" timestamp with time zone NOT NULL,
	"facet" text NOT NULL,
	"key" text NOT NULL,
	"agent_type" text NOT NULL,
	"environment" text NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "insight_facets_daily_pk" PRIMARY KEY("day","facet","key","agent_type","environment")
);
--> statement-breakpoint
INSERT INTO "insight_rollups_daily" ("day", "agent_type", "environment", "agent_id", "kind", "tier", "status", "count", "latency_hist")
SELECT c."day", c."agent_type", c."environment", c."agent_id", c."kind", c."tier", c."status", c."count", coalesce(h."hist", '{}')
  FROM (SELECT date_trunc('day', "hour", 'UTC') AS "day", "agent_type", "environment", "agent_id", "kind", "tier", "status", sum("count")::int AS "count"
          FROM "insight_rollups" GROUP BY 1, 2, 3, 4, 5, 6, 7) c
  LEFT JOIN (SELECT "day", "agent_type", "environment", "agent_id", "kind", "tier", "status", array_agg("v" ORDER BY "i")::int[] AS "hist"
               FROM (SELECT date_trunc('day', r."hour", 'UTC') AS "day", r."agent_type", r."environment", r."agent_id", r."kind", r."tier", r."status", u."i", sum(u."v")::int AS "v"
                       FROM "insight_rollups" r, unnest(r."latency_hist") WITH ORDINALITY AS u("v", "i")
                      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) e
              GROUP BY 1, 2, 3, 4, 5, 6, 7) h
    USING ("day", "agent_type", "environment", "agent_id", "kind", "tier", "status");
--> statement-breakpoint
INSERT INTO "insight_facets_daily" ("day", "facet", "key", "agent_type", "environment", "count")
SELECT date_trunc('day', "hour", 'UTC'), "facet", "key", "agent_type", "environment", sum("count")::int
  FROM "insight_facets" GROUP BY 1, 2, 3, 4, 5;
