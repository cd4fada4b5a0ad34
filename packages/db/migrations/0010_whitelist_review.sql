CREATE TABLE "whitelist_reviews" (
	"entry_id" text PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"next_review_at" timestamp with time zone,
	"retired_at" timestamp with time zone,
	"retired_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "whitelist_reviews_source" CHECK ("whitelist_reviews"."source" in ('policy', 'added'))
);
--> statement-breakpoint
CREATE TABLE "whitelist_review_events" (
	"id" text PRIMARY KEY NOT NULL,
	"entry_id" text NOT NULL,
	"action" text NOT NULL,
	"by" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"comment" text NOT NULL,
	"next_review_at" timestamp with time zone,
	CONSTRAINT "whitelist_review_events_action" CHECK ("whitelist_review_events"."action" in ('renew', 'retire'))
);
--> statement-breakpoint
CREATE INDEX "whitelist_review_events_entry_idx" ON "whitelist_review_events" USING btree ("entry_id","at");
--> statement-breakpoint
CREATE TABLE "whitelist_hits_daily" (
	"day" timestamp with time zone NOT NULL,
	"entry_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"agent_type" text NOT NULL,
	"count" integer NOT NULL,
	"last_hit_at" timestamp with time zone NOT NULL,
	CONSTRAINT "whitelist_hits_daily_pk" PRIMARY KEY("day","entry_id","agent_id")
);
--> statement-breakpoint
CREATE TABLE "whitelist_hits" (
	"entry_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"agent_type" text NOT NULL,
	"count" integer NOT NULL,
	"last_hit_at" timestamp with time zone NOT NULL,
	CONSTRAINT "whitelist_hits_pk" PRIMARY KEY("entry_id","agent_id")
);
--> statement-breakpoint
CREATE INDEX "requests_whitelisted_created_idx" ON "requests" USING btree ("created_at") WHERE "requests"."whitelisted_by" is not null;
