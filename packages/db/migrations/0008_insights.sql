CREATE TABLE "insight_rollups" (
	"hour" timestamp with time zone NOT NULL,
	"agent_type" text NOT NULL,
	"environment" text NOT NULL,
	"agent_id" text NOT NULL,
	"kind" text NOT NULL,
	"tier" text NOT NULL,
	"status" text NOT NULL,
	"count" integer NOT NULL,
	"latency_hist" integer[] DEFAULT '{}' NOT NULL,
	CONSTRAINT "insight_rollups_pk" PRIMARY KEY("hour","agent_type","environment","agent_id","kind","tier","status")
);
--> statement-breakpoint
CREATE INDEX "insight_rollups_type_env_hour_idx" ON "insight_rollups" USING btree ("agent_type","environment","hour");
--> statement-breakpoint
CREATE TABLE "insight_facets" (
	"hour" timestamp with time zone NOT NULL,
	"facet" text NOT NULL,
	"key" text NOT NULL,
	"agent_type" text NOT NULL,
	"environment" text NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "insight_facets_pk" PRIMARY KEY("hour","facet","key","agent_type","environment")
);
--> statement-breakpoint
CREATE TABLE "insight_state" (
	"name" text PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"pending_hours" timestamp with time zone[] DEFAULT '{}' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "drift_alarms" (
	"id" text PRIMARY KEY NOT NULL,
	"agent_type" text NOT NULL,
	"environment" text NOT NULL,
	"trigger" text NOT NULL,
	"rate" double precision NOT NULL,
	"baseline" double precision,
	"total" integer NOT NULL,
	"window_days" integer NOT NULL,
	"raised_at" timestamp with time zone NOT NULL,
	"current_rate" double precision NOT NULL,
	"checked_at" timestamp with time zone NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" text,
	"comment" text,
	"cleared_at" timestamp with time zone,
	CONSTRAINT "drift_alarms_trigger" CHECK ("drift_alarms"."trigger" in ('ceiling', 'rise'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "drift_alarms_open_idx" ON "drift_alarms" USING btree ("agent_type","environment") WHERE "drift_alarms"."acknowledged_at" is null;
--> statement-breakpoint
CREATE INDEX "drift_alarms_raised_idx" ON "drift_alarms" USING btree ("raised_at");
