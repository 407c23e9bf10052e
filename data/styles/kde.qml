<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<!-- hotspot: kernel density raster (layers kde_<group>, incidents per km2). Single-band
     pseudocolour, interpolated from transparent at MIN through orange to opaque dark red at
     MAX (MID = halfway), so the map below shows through low densities. Used in the QGIS
     project only: QGIS 3.22 does not read raster styles from layer_styles.
     Placeholders: MIN, MID, MAX. -->
<qgis version="3.22.16" styleCategories="Symbology">
  <pipe>
    <rasterrenderer type="singlebandpseudocolor" band="1" opacity="0.8" alphaBand="-1" nodataColor="" classificationMin="{{MIN}}" classificationMax="{{MAX}}">
      <rasterTransparency/>
      <minMaxOrigin>
        <limits>None</limits>
        <extent>WholeRaster</extent>
        <statAccuracy>Estimated</statAccuracy>
        <cumulativeCutLower>0.02</cumulativeCutLower>
        <cumulativeCutUpper>0.98</cumulativeCutUpper>
        <stdDevFactor>2</stdDevFactor>
      </minMaxOrigin>
      <rastershader>
        <colorrampshader colorRampType="INTERPOLATED" classificationMode="1" clip="0" minimumValue="{{MIN}}" maximumValue="{{MAX}}" labelPrecision="1">
          <item value="{{MIN}}" color="#fee5d9" alpha="0" label="{{MIN}}"/>
          <item value="{{MID}}" color="#fb6a4a" alpha="170" label="{{MID}}"/>
          <item value="{{MAX}}" color="#a50f15" alpha="255" label="{{MAX}}"/>
        </colorrampshader>
      </rastershader>
    </rasterrenderer>
    <brightnesscontrast brightness="0" contrast="0" gamma="1"/>
    <huesaturation saturation="0" grayscaleMode="0" colorizeOn="0" colorizeRed="255" colorizeGreen="128" colorizeBlue="128" colorizeStrength="100" invertColors="0"/>
    <rasterresampler maxOversampling="2"/>
    <resamplingStage>resamplingFilter</resamplingStage>
  </pipe>
  <blendMode>0</blendMode>
</qgis>
