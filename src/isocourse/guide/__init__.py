"""The isotretinoin guide for patients and clinicians, rendered from the knowledge data.

Public entry points::

    render_guide(knowledge, options) -> RenderedGuide      (guide.render)
    guide_options_from_record(record, assessment)           (guide.model)
    guide_html(guide), guide_pdf(guide), search_guide(...)  (guide.html, .pdf, .search)
"""
