
    

    create  table
      "helper_account"."staging"."stg_tiktok__comments"
  
    
    as (
      
-- depends_on: read_json('/tmp/demo_data/raw/tiktok/comments/*/*/*.json', columns=struct_pack(partition_date := 'DATE', business_id := 'VARCHAR', landed_at := 'TIMESTAMPTZ'))

with pages as (
    select
        files.business_id,
        files.partition_date,
        files.fetch_id,
        files.landed_at,
        files.source as fetch_source,
        pages.page.endpoint as endpoint,
        pages.page.request_id as request_id,
        pages.page.response.data as data
    from read_json(
        '/tmp/demo_data/raw/tiktok/comments/*/*/*.json',
        columns = {
            partition_date: 'DATE', business_id: 'VARCHAR', fetch_id: 'VARCHAR', landed_at: 'TIMESTAMPTZ',
            source: 'VARCHAR', complete: 'BOOLEAN',
            pages: 'STRUCT(endpoint VARCHAR, request_id VARCHAR, response STRUCT(code INTEGER, data STRUCT(comments STRUCT(comment_id VARCHAR, video_id VARCHAR, parent_comment_id VARCHAR, user_id VARCHAR,
           unique_identifier VARCHAR, username VARCHAR, display_name VARCHAR, profile_image VARCHAR,
           text VARCHAR, image_url VARCHAR, create_time VARCHAR, likes BIGINT, replies BIGINT,
           owner BOOLEAN, liked BOOLEAN, pinned BOOLEAN, status VARCHAR, reply_list STRUCT(comment_id VARCHAR, video_id VARCHAR, parent_comment_id VARCHAR, user_id VARCHAR,
           unique_identifier VARCHAR, username VARCHAR, display_name VARCHAR, profile_image VARCHAR,
           text VARCHAR, image_url VARCHAR, create_time VARCHAR, likes BIGINT, replies BIGINT,
           owner BOOLEAN, liked BOOLEAN, pinned BOOLEAN, status VARCHAR)[])[])))[]'
        },
        hive_partitioning = true,
        hive_types = {'date': DATE, 'account': VARCHAR},
        format = 'auto'
    ) as files,
    unnest(files.pages) as pages(page)
    where files.complete
),

-- comments and replies from the comment list, and replies from the reply list (same page shape)
listed as (
    select pages.business_id, pages.partition_date, pages.landed_at, pages.fetch_id, listed.comment
    from pages,
        unnest(pages.data.comments) as listed(comment)
),

-- up to three replies arrive inline in a comment's reply_list
inline_replies as (
    select listed.business_id, listed.partition_date, listed.landed_at, listed.fetch_id,
        -- inline replies do not always repeat their parent: it is the comment they are listed under
        struct_insert(reply, parent_id := listed.comment.comment_id) as comment
    from listed,
        unnest(listed.comment.reply_list) as replies(reply)
),

all_comments as (
    select business_id, partition_date, landed_at, fetch_id, struct_insert(comment, parent_id := null::varchar) as comment
    from listed
    union all
    select business_id, partition_date, landed_at, fetch_id, comment
    from inline_replies
),

typed as (
    select
        comment.comment_id as comment_id,
        comment.video_id as item_id,
        business_id,
        nullif(coalesce(comment.parent_comment_id, comment.parent_id), '') as parent_comment_id,
        comment.user_id as author_user_id,
        comment.username as author_username,
        comment.display_name as author_display_name,
        comment.text as comment_text,
        comment.image_url,
        to_timestamp(cast(comment.create_time as bigint)) as created_at,
        comment.likes,
        comment.replies as reply_count,
        comment.owner as is_by_account_owner,
        comment.liked as is_liked_by_owner,
        comment.pinned as is_pinned,
        comment.status = 'HIDDEN' as is_hidden,
        comment.status,
        partition_date as first_seen_date,
        partition_date as last_seen_date,
        landed_at,
        fetch_id
    from all_comments
),

candidates as (
    select * from typed
),

final as (
    -- newest fetch wins for what changes (likes, replies, status); first and last seen span all fetches;
    -- the API repeats comments on busy posts, so one comment can appear several times in one fetch
    select
        * exclude (first_seen_date, last_seen_date),
        min(first_seen_date) over (partition by comment_id) as first_seen_date,
        max(last_seen_date) over (partition by comment_id) as last_seen_date
    from candidates
    qualify row_number() over (
        partition by comment_id order by landed_at desc, fetch_id desc
    ) = 1
)

select * from final
    );
    
  
  