-- Anomaly baselines per agent type and per agent (packages/server/src/anomaly/). The job folds
-- requests in once each, in (created_at, id) order from its watermark; nothing is rescanned.
CREATE TABLE "anomaly_scopes" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"agent_type" text NOT NULL,
	"requests" integer DEFAULT 0 NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	"open_minute" timestamp with time zone,
	"open_count" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "anomaly_scopes_pk" PRIMARY KEY("scope","key"),
	CONSTRAINT "anomaly_scopes_scope" CHECK ("scope" in ('type', 'agent'))
);
--> statement-breakpoint
CREATE TABLE "anomaly_features" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"feature" text NOT NULL,
	"value" text NOT NULL,
	"count" integer NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	CONSTRAINT "anomaly_features_pk" PRIMARY KEY("scope","key","feature","value"),
	CONSTRAINT "anomaly_features_feature" CHECK ("feature" in ('family', 'host', 'path', 'database', 'table'))
);
--> statement-breakpoint
CREATE INDEX "anomaly_features_last_seen_idx" ON "anomaly_features" USING btree ("last_seen");
--> statement-breakpoint
CREATE TABLE "anomaly_days" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"day" timestamp with time zone NOT NULL,
	"requests" integer NOT NULL,
	"hours" integer[] NOT NULL,
	"minutes" integer NOT NULL,
	"minute_sum" integer NOT NULL,
	"minute_sum_sq" bigint NOT NULL,
	"minute_max" integer NOT NULL,
	CONSTRAINT "anomaly_days_pk" PRIMARY KEY("scope","key","day")
);
--> statement-breakpoint
CREATE INDEX "anomaly_days_day_idx" ON "anomaly_days" USING btree ("day");
--> statement-breakpoint
CREATE TABLE "anomaly_state" (
	"name" text PRIMARY KEY NOT NULL,
	"after_at" timestamp with time zone NOT NULL,
	"after_id" text NOT NULL,
	"pending_ids" text[] DEFAULT '{}' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
